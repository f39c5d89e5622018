import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import Dockerode from 'dockerode';
import { Agent } from './agent.js';
import { BridgesCollector } from './collectors/bridges/bridges.collector.js';
import { createNetDriver } from './collectors/bridges/net.driver.js';
import { collectFacts, collectLoad } from './collectors/host-facts.collector.js';
import { createFileLeaseSource } from './collectors/leases/lease.source.js';
import { LeasesCollector } from './collectors/leases/leases.collector.js';
import { ConfigError, loadAgentConfig } from './config.js';
import { createDoctorHandlers } from './doctor/doctor.handlers.js';
import { createDoctorProbes } from './doctor/doctor.probes.js';
import { DoctorService } from './doctor/doctor.service.js';
import { CommandExecutor } from './executor/executor.js';
import { CommandJournal } from './executor/journal.js';
import { JsonLogger } from './lib/logger.js';
import { agentPolicyCheck, installedTemplates } from './policy/agent-policy.js';
import { DockerCollector } from './runtimes/docker/docker.collector.js';
import { createDockerDriver } from './runtimes/docker/docker.driver.js';
import { createDockerOps } from './runtimes/docker/docker-ops.driver.js';
import { createDockerHandlers } from './runtimes/docker/ops/docker.handlers.js';
import { dockerExecStream } from './runtimes/docker/streams/docker-exec.stream.js';
import { dockerLogsStream } from './runtimes/docker/streams/docker-logs.stream.js';
import { LxcCollector } from './runtimes/lxc/lxc.collector.js';
import { createLxcDriver } from './runtimes/lxc/lxc.driver.js';
import { lxcDeps } from './runtimes/lxc/ops/lxc-op.context.js';
import { createLxcHandlers } from './runtimes/lxc/ops/lxc-ops.js';
import { lxcConsoleLogStream } from './runtimes/lxc/streams/lxc-console-log.stream.js';
import { loadPty, lxcExecStream } from './runtimes/lxc/streams/lxc-exec.stream.js';
import { startIndex } from './session/controller-rotation.js';
import { controllerFetch, tlsClientOptions } from './session/controller-tls.js';
import { enroll } from './session/enrollment.js';
import { Session } from './session/session.js';
import { loadCredential, saveCredential } from './state/agent-credential.js';
import { loadOrCreateAgentId } from './state/agent-identity.js';
import { securePrivateState } from './state/private-files.js';
import { StateStore } from './state/state-store.js';
import { StreamManager } from './streams/stream-manager.js';

const AGENT_VERSION = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

async function main(): Promise<void> {
  const config = loadAgentConfig(process.env);
  const logger = new JsonLogger(config.logLevel, { component: 'agent' });
  await securePrivateState(config.stateDir, logger);
  const agentId = await loadOrCreateAgentId(config.stateDir);
  const tls = tlsClientOptions({ caFile: config.caFile, fingerprint: config.controllerFingerprint });
  const fetchFromController = controllerFetch(tls);

  // The credential comes from the state dir, or from enrolling once with CORRAL_ENROLLMENT_TOKEN.
  let stored = await loadCredential(config.stateDir);
  if (!stored) {
    if (!config.enrollmentToken) {
      throw new ConfigError([
        `${config.stateDir} holds no agent credential and CORRAL_ENROLLMENT_TOKEN is not set: ask an admin ` +
          'for an enrollment token (npm run controller -- enroll-token, or POST /api/v1/enrollment-tokens)',
      ]);
    }
    const hostnameForEnrollment = config.hostname ?? os.hostname();
    stored = await enroll({
      controllerUrls: config.controllerUrls,
      startIndex: startIndex(agentId, config.controllerUrls.length),
      token: config.enrollmentToken,
      agentId,
      hostname: hostnameForEnrollment,
      fetch: fetchFromController,
      logger: logger.child({ component: 'enrollment' }),
    });
    await saveCredential(config.stateDir, stored);
    logger.info('enrolled', { hostId: stored.hostId, hostname: hostnameForEnrollment });
  } else if (config.enrollmentToken) {
    logger.info('already enrolled; CORRAL_ENROLLMENT_TOKEN is not needed any more', { hostId: stored.hostId });
  }
  const authorization = { authorization: `Bearer ${stored.credential}` };

  const docker = new DockerCollector({
    driver: createDockerDriver({ socketPath: config.dockerSocket, timeoutMs: 10_000 }),
    socketPath: config.dockerSocket,
    logger: logger.child({ collector: 'docker' }),
  });
  const lxc = new LxcCollector({
    driver: createLxcDriver(),
    lxcPaths: config.lxcPaths,
    pollMs: config.pollIntervalMs,
    logger: logger.child({ collector: 'lxc' }),
  });
  const bridges = new BridgesCollector({ driver: createNetDriver(), logger: logger.child({ collector: 'bridges' }) });
  const leaseSource = createFileLeaseSource(config.leaseFiles);
  const leases = new LeasesCollector({
    source: leaseSource,
    logger: logger.child({ collector: 'leases' }),
  });

  const store = new StateStore();
  const hostname = () => config.hostname ?? store.inventory().facts.hostname;
  const facts = async (runtimes: Parameters<typeof collectFacts>[0]['runtimes']) => {
    const f = await collectFacts({ dataDirs: [config.stateDir, ...config.lxcPaths], runtimes, logger });
    const withTemplates = { ...f, lxcTemplates: installedTemplates(config.lxcTemplateDir).slice(0, 256) };
    return config.hostname ? { ...withTemplates, hostname: config.hostname } : withTemplates;
  };

  const doctorProbes = createDoctorProbes({ leaseFiles: () => leaseSource.files() });
  const dockerInfo = new Dockerode({ socketPath: config.dockerSocket, timeout: 5_000 });
  const LXC_NET = '/usr/libexec/lxc/lxc-net';
  const doctor = new DoctorService({
    inventory: () => (store.hasFacts() ? store.inventory() : null),
    probes: doctorProbes,
    dockerSocket: config.dockerSocket,
    dockerRoot: async () =>
      agent?.runtimeStatuses().some((r) => r.name === 'docker' && r.available)
        ? (((await dockerInfo.info()) as { DockerRootDir?: string }).DockerRootDir ?? null)
        : null,
    lxcPaths: config.lxcPaths,
    lxcNetScript: existsSync(LXC_NET) ? LXC_NET : null,
    logger: logger.child({ component: 'doctor' }),
  });
  // The doctor reads what the other sources and the host facts say, so it runs after them.
  const rerunDoctor = async () => {
    await agent?.refreshNow('all');
    await agent?.refreshNow(['doctor']);
  };

  const { journal } = await CommandJournal.open(config.stateDir, { logger: logger.child({ component: 'journal' }) });

  let agent: Agent | null = null;
  let executor: CommandExecutor | null = null;
  let streams: StreamManager | null = null;
  const session = new Session({
    urls: config.controllerUrls,
    startIndex: startIndex(agentId, config.controllerUrls.length),
    headers: authorization,
    tls,
    agentId,
    hostname,
    agentVersion: AGENT_VERSION,
    runtimes: () => agent?.runtimeStatuses() ?? [],
    labels: config.labels,
    inventory: () => store.inventory(),
    load: () => collectLoad(),
    logger: logger.child({ component: 'session' }),
    outboxCapacity: config.outboxLimit,
    onCommand: (message) => executor?.handleCommand(message),
    onCancel: (message) => executor?.handleCancel(message),
    capabilities: () => streams?.capabilities() ?? [],
    onStream: (message) => streams?.handle(message),
    onStreamData: (frame) => streams?.data(frame),
    onDisconnected: () => streams?.closeAll('the connection to the controller dropped'),
    onSynced: () => executor?.resendUnconfirmed(),
    onAck: (seq) => executor?.acknowledged(seq),
  });
  agent = new Agent({
    collectors: [bridges, leases, doctor],
    runtimes: [docker, lxc],
    facts,
    store,
    session,
    logger,
    resyncIntervalMs: config.resyncIntervalMs,
  });
  // Archives go to the replica this agent is connected to: a transfer lives in that controller's process.
  const upload = {
    get controllerUrl() {
      return session.url;
    },
    headers: authorization,
    fetch: fetchFromController,
  };
  const dockerOps = createDockerOps({ socketPath: config.dockerSocket, timeoutMs: 60_000 });
  executor = new CommandExecutor({
    handlers: {
      docker: createDockerHandlers(dockerOps, { upload }),
      lxc: createLxcHandlers({ lxcPaths: config.lxcPaths }, { upload, grants: config.policy }),
      host: createDoctorHandlers({ doctor, probes: doctorProbes, rerun: rerunDoctor }),
    },
    journal,
    link: session,
    refresh: (sources, changed) => agent?.refreshNow(sources, changed) ?? Promise.resolve(),
    logger: logger.child({ component: 'executor' }),
    policy: agentPolicyCheck({ grants: config.policy, lxcTemplateDir: config.lxcTemplateDir }),
  });

  const lxcStreamDeps = lxcDeps({ lxcPaths: config.lxcPaths });
  const pty = await loadPty(logger);
  streams = new StreamManager({
    exec: { docker: dockerExecStream(dockerOps), lxc: lxcExecStream(lxcStreamDeps, pty) },
    logs: { docker: dockerLogsStream(dockerOps), lxc: lxcConsoleLogStream(lxcStreamDeps) },
    link: {
      sendText: (message) => session.sendStreamFrame(message),
      sendBinary: (frame) => session.sendStreamFrame(frame),
    },
    logger: logger.child({ component: 'streams' }),
  });

  logger.info('agent starting', {
    agentId,
    controllers: config.controllerUrls,
    lxcPaths: config.lxcPaths,
    leaseFiles: config.leaseFiles,
    dockerSocket: config.dockerSocket,
    labels: config.labels,
    policy: config.policySource,
  });
  await agent.start();
  const runDoctor = () =>
    agent?.refreshNow(['doctor']).catch((error: unknown) => logger.warn('doctor: run failed', { error }));
  void runDoctor();
  const doctorTimer = setInterval(() => void runDoctor(), config.doctorIntervalMs);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('agent stopping', { signal });
    clearInterval(doctorTimer);
    streams?.closeAll('the agent is stopping');
    await executor?.stop();
    await agent?.stop();
    await journal.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) {
    console.error(err.message);
  } else {
    console.error('agent failed to start:', err instanceof Error ? (err.stack ?? err.message) : err);
  }
  process.exit(1);
});
