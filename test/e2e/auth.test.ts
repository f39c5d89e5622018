import { randomBytes, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { controllerFetch } from '../../apps/agent/src/session/controller-tls.js';
import { Corral, type Page } from '../support/corral.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { sh } from '../support/engines.js';
import { AppProcess, freePort } from '../support/processes.js';
import { waitFor } from '../support/wait.js';

type ApiHost = { id: string; hostname: string; status: string; facts: unknown };

describe('enrollment and credentials with real processes', () => {
  const corral = new Corral();
  let credential = '';

  beforeAll(async () => {
    await corral.start();
    credential = (
      JSON.parse(await readFile(path.join(corral.stateDir, 'credential'), 'utf8')) as { credential: string }
    ).credential;
  }, 120_000);

  afterAll(async () => {
    await corral.stop();
  });

  it('keeps the credential the agent enrolled with in its state dir, mode 0600, and reconnects with it', async () => {
    const file = path.join(corral.stateDir, 'credential');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(credential).toMatch(/^crl_agt_[A-Za-z0-9_-]{43}$/);
    const stored = JSON.parse(await readFile(file, 'utf8')) as { hostId: string };
    expect(stored.hostId).toBe(corral.hostId);
    // A restart needs no enrollment token: the one it was given is spent.
    await corral.agent.kill();
    const restarted = Date.now();
    await corral.startAgent();
    expect(corral.hostId).toBe(stored.hostId);
    const reconnected = await waitFor(
      'agent reconnected',
      async () => {
        const host = await corral.get<{ status: string; connectedAt: string | null }>(`/api/v1/hosts/${corral.hostId}`);
        return host.body.connectedAt !== null && new Date(host.body.connectedAt).getTime() >= restarted - 1000
          ? host.body
          : undefined;
      },
      20_000,
      100,
    );
    expect(reconnected.status).toBe('online');
    expect(Date.parse(reconnected.connectedAt!)).toBeGreaterThanOrEqual(restarted - 1000);
  });

  it('refuses a second agent with the spent enrollment token, and that agent says why', async () => {
    const stateDir = await mkdtemp(path.join(os.tmpdir(), 'corral-agent-reuse-'));
    const other = new AppProcess('agent', {
      CORRAL_CONTROLLER_URL: `${corral.base.replace('http', 'ws')}/agent`,
      CORRAL_STATE_DIR: stateDir,
      CORRAL_HOSTNAME: `${corral.hostname}-reuse`,
      CORRAL_DOCKER_SOCKET: '/nonexistent/docker.sock',
      CORRAL_LXC_PATHS: corral.lxcPath,
      CORRAL_ENROLLMENT_TOKEN: corral.enrollmentToken,
    });
    other.start();
    try {
      await waitFor('refused agent to exit', () => !other.running, 20_000, 100);
      expect(other.tail()).toContain('already used 1 of 1');
      await expect(stat(path.join(stateDir, 'credential'))).rejects.toThrow();
    } finally {
      await other.kill();
      await rm(stateDir, { recursive: true, force: true });
    }
  });

  it('writes no secret to the logs of the controller or the agent', async () => {
    const logs = [...corral.controller.output, ...corral.agent.output].join('\n');
    expect(logs.length).toBeGreaterThan(0);
    for (const secret of [corral.adminToken, corral.enrollmentToken, credential]) {
      expect(secret.length).toBeGreaterThan(16);
      expect(logs).not.toContain(secret);
    }
    const audit = JSON.stringify((await corral.get('/api/v1/audit?limit=1000')).body);
    for (const secret of [corral.adminToken, corral.enrollmentToken, credential]) expect(audit).not.toContain(secret);
  });

  it('cuts off a revoked host at once: its agent is refused from then on', async () => {
    const revoked = await corral.request<{ disconnected: number }>('POST', `/api/v1/hosts/${corral.hostId}/revoke`);
    expect(revoked.status).toBe(200);
    expect(revoked.body.disconnected).toBe(1);
    await waitFor('agent refused with 401', () => corral.agent.output.some((l) => l.includes('"status":401')), 20_000);
    await waitFor(
      'host offline',
      async () => (await corral.get<ApiHost>(`/api/v1/hosts/${corral.hostId}`)).body.status === 'offline',
      20_000,
      200,
    );
    expect(corral.agent.output.some((l) => l.includes('"status":401'))).toBe(true);
    expect((await corral.get<ApiHost>(`/api/v1/hosts/${corral.hostId}`)).body.status).toBe('offline');
    const audit = await corral.get<{ items: { action: string; actor: string }[] }>(
      `/api/v1/audit?targetId=${corral.hostId}&action=revoke`,
    );
    expect(audit.body.items[0]).toMatchObject({ actor: 'token:admin (CORRAL_ADMIN_TOKEN)' });
  });
});

describe('TLS between agents and the controller', () => {
  let dir: string;
  let db: TestDatabase;
  let controller: AppProcess;
  let base: string;
  let wsUrl: string;
  let fingerprint: string;
  const adminToken = `corral-e2e-admin-${randomBytes(16).toString('hex')}`;
  const agents: AppProcess[] = [];
  let trusted: ReturnType<typeof controllerFetch>;

  const api = async <T>(method: string, p: string, body?: unknown): Promise<{ status: number; body: T }> => {
    const res = await trusted(`${base}${p}`, {
      method,
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
  };

  const startAgent = async (name: string, env: Record<string, string>) => {
    const token = await api<{ secret: string }>('POST', '/api/v1/enrollment-tokens', { name });
    const stateDir = await mkdtemp(path.join(dir, 'agent-'));
    const agent = new AppProcess('agent', {
      CORRAL_CONTROLLER_URL: wsUrl,
      CORRAL_STATE_DIR: stateDir,
      CORRAL_HOSTNAME: name,
      CORRAL_DOCKER_SOCKET: '/nonexistent/docker.sock',
      CORRAL_LXC_PATHS: stateDir,
      CORRAL_LEASE_FILES: path.join(stateDir, 'none.leases'),
      CORRAL_ENROLLMENT_TOKEN: token.body.secret,
      ...env,
    });
    agents.push(agent);
    agent.start();
    return agent;
  };

  const online = (name: string) =>
    waitFor(
      `${name} online over TLS`,
      async () => {
        const hosts = await api<Page<ApiHost>>('GET', `/api/v1/hosts?name=${name}`);
        return hosts.body.items.find((h) => h.status === 'online' && h.facts);
      },
      30_000,
      200,
    );

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'corral-tls-'));
    const f = (name: string) => path.join(dir, name);
    // A private CA and a server certificate for 127.0.0.1 signed by it (the README's recipe).
    await sh(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.pem')].concat([
        '-days',
        '2',
        '-subj',
        '/CN=Corral test CA',
      ]),
    );
    await sh(
      'openssl',
      ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('server.key'), '-out', f('server.csr')].concat([
        '-subj',
        '/CN=127.0.0.1',
      ]),
    );
    await writeFile(f('san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
    await sh(
      'openssl',
      ['x509', '-req', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key')].concat([
        '-CAcreateserial',
        '-out',
        f('server.pem'),
        '-days',
        '2',
        '-extfile',
        f('san.ext'),
      ]),
    );
    fingerprint = new X509Certificate(readFileSync(f('server.pem'))).fingerprint256;
    trusted = controllerFetch({ ca: readFileSync(f('ca.pem')) });

    db = await createTestDatabase('corral_e2e');
    const port = await freePort();
    base = `https://127.0.0.1:${port}`;
    wsUrl = `wss://127.0.0.1:${port}/agent`;
    controller = new AppProcess('controller', {
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: db.url,
      CORRAL_DATA_DIR: f('data'),
      CORRAL_ADMIN_TOKEN: adminToken,
      CORRAL_TLS_CERT: f('server.pem'),
      CORRAL_TLS_KEY: f('server.key'),
    });
    controller.start();
    await waitFor('TLS controller ready', async () => (await trusted(`${base}/readyz`)).ok, 60_000, 200).catch(
      (err) => {
        throw new Error(`${(err as Error).message}\n${controller.tail()}`);
      },
    );
  }, 120_000);

  afterAll(async () => {
    for (const agent of agents) await agent.kill();
    await controller?.kill();
    await db?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('refuses to start with a certificate it cannot read, naming the variable', async () => {
    const broken = new AppProcess('controller', {
      PORT: String(await freePort()),
      DATABASE_URL: db.url,
      CORRAL_TLS_CERT: path.join(dir, 'missing.pem'),
      CORRAL_TLS_KEY: path.join(dir, 'server.key'),
    });
    broken.start();
    await waitFor('controller to give up', () => !broken.running, 20_000, 100);
    expect(broken.running).toBe(false);
    expect(broken.tail()).toContain('CORRAL_TLS_CERT');
    expect(controller.tail()).toContain(`SHA-256 fingerprint ${fingerprint}`);
  });

  it('connects an agent that trusts the CA, and one pinning the right fingerprint', async () => {
    const suffix = randomBytes(2).toString('hex');
    await startAgent(`tls-ca-${suffix}`, { CORRAL_CA_FILE: path.join(dir, 'ca.pem') });
    await startAgent(`tls-pin-${suffix}`, { CORRAL_CONTROLLER_FINGERPRINT: fingerprint.toLowerCase() });
    await online(`tls-ca-${suffix}`);
    await online(`tls-pin-${suffix}`);
  });

  it('refuses an agent without the CA and one pinning another fingerprint', async () => {
    const suffix = randomBytes(2).toString('hex');
    const noCa = await startAgent(`tls-noca-${suffix}`, {});
    const wrong = await startAgent(`tls-wrong-${suffix}`, {
      CORRAL_CONTROLLER_FINGERPRINT: fingerprint.replace(/^[0-9A-F]{2}/, (b) => (b === '00' ? '01' : '00')),
    });
    await waitFor('certificate refused', () => noCa.output.some((l) => /certificate/i.test(l)), 20_000, 100);
    await waitFor('fingerprint refused', () => wrong.output.some((l) => l.includes('does not match')), 20_000, 100);
    expect(noCa.output.some((l) => /certificate/i.test(l))).toBe(true);
    expect(wrong.output.some((l) => l.includes('does not match'))).toBe(true);
    const hosts = await api<Page<ApiHost>>('GET', `/api/v1/hosts?limit=1000`);
    const names = hosts.body.items.map((h) => h.hostname);
    expect(names).not.toContain(`tls-noca-${suffix}`);
    expect(names).not.toContain(`tls-wrong-${suffix}`);
  });
});
