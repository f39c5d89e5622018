import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Issued, issue, makeCa, type TestCa } from '../support/certificates.js';
import type { Page } from '../support/corral.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { answerOf } from '../support/http.js';
import { AppProcess, freePort } from '../support/processes.js';
import { TlsFront } from '../support/tls-front.js';
import { waitFor } from '../support/wait.js';

// What goes wrong with TLS: a controller that must not start, and agents that must not talk to a
// controller they cannot trust. Agents face the certificates through TlsFront (in front of a real
// controller), which also shows whether they sent anything (their enrollment token or credential).

type ApiHost = { id: string; hostname: string; status: string; facts: unknown; connectedAt: string | null };
type ApiEnrollmentToken = { id: string; name: string | null; uses: number };

describe('TLS failure paths with the built controller and agent', () => {
  let dir: string;
  let ca: TestCa;
  const certs = {} as Record<'good' | 'other' | 'wrongName' | 'expired', Issued>;
  let db: TestDatabase;
  let controller: AppProcess;
  let base: string;
  let front: TlsFront;
  let wsUrl: string;
  const adminToken = `corral-e2e-admin-${randomBytes(16).toString('hex')}`;
  const agents: AppProcess[] = [];
  const tag = randomBytes(2).toString('hex');
  // The state dir of an agent that enrolled over TLS: restarted later, it connects with its credential.
  let enrolledState = '';
  let enrolledHostId = '';

  const api = async <T>(method: string, p: string, body?: unknown) => {
    const res = await fetch(`${base}${p}`, {
      method,
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return answerOf<T>(res);
  };

  const enrollmentToken = async (name: string) => {
    const res = await api<{ id: string; secret: string }>('POST', '/api/v1/enrollment-tokens', { name });
    if (res.status !== 201) throw new Error(`enrollment token: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };

  const tokenUses = async (id: string) =>
    (await api<Page<ApiEnrollmentToken>>('GET', '/api/v1/enrollment-tokens')).body.items.find((t) => t.id === id)?.uses;

  const startAgent = async (name: string, env: Record<string, string>, stateDir?: string) => {
    const state = stateDir ?? (await mkdtemp(path.join(dir, 'agent-')));
    const agent = new AppProcess('agent', {
      CORRAL_CONTROLLER_URL: wsUrl,
      CORRAL_STATE_DIR: state,
      CORRAL_HOSTNAME: name,
      CORRAL_DOCKER_SOCKET: '/nonexistent/docker.sock',
      CORRAL_LXC_PATHS: state,
      CORRAL_LEASE_FILES: path.join(state, 'none.leases'),
      ...env,
    });
    agents.push(agent);
    agent.start();
    return { agent, stateDir: state };
  };

  const logged = (agent: AppProcess, text: string, what: string) =>
    waitFor(what, () => agent.output.some((l) => l.includes(text)), 20_000, 100).catch((err) => {
      throw new Error(`${(err as Error).message}\n${agent.tail(20)}`);
    });

  const startController = (env: Record<string, string>) => {
    const c = new AppProcess('controller', { HOST: '127.0.0.1', DATABASE_URL: db.url, ...env });
    c.start();
    return c;
  };

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'corral-test-tls-'));
    ca = await makeCa(path.join(dir, 'ca'));
    certs.good = await issue(ca, 'good', { names: ['IP:127.0.0.1', 'DNS:localhost'] });
    certs.other = await issue(ca, 'other', { names: ['IP:127.0.0.1'] });
    certs.wrongName = await issue(ca, 'wrong-name', { names: ['DNS:corral.example', 'IP:192.0.2.10'] });
    certs.expired = await issue(ca, 'expired', { names: ['IP:127.0.0.1', 'DNS:localhost'], expired: true });

    db = await createTestDatabase('corral_e2e');
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    controller = startController({
      PORT: String(port),
      CORRAL_DATA_DIR: path.join(dir, 'data'),
      CORRAL_ADMIN_TOKEN: adminToken,
      CORRAL_HEARTBEAT_INTERVAL_MS: '1000',
    });
    await waitFor('controller ready', async () => (await fetch(`${base}/readyz`)).ok, 60_000, 100).catch((err) => {
      throw new Error(`${(err as Error).message}\n${controller.tail()}`);
    });
    front = await TlsFront.start({ cert: certs.good.cert, key: certs.good.key, target: { host: '127.0.0.1', port } });
    wsUrl = `wss://127.0.0.1:${front.port}/agent`;
  }, 120_000);

  afterAll(async () => {
    for (const agent of agents) await agent.kill();
    await front?.close();
    await controller?.kill();
    await db?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  describe('the controller refuses to start', () => {
    const refusesToStart = async (env: Record<string, string>) => {
      const port = await freePort();
      const broken = startController({ PORT: String(port), ...env });
      await waitFor('controller to give up', () => !broken.running, 30_000, 100);
      const listening = await fetch(`https://127.0.0.1:${port}/healthz`).then(
        () => true,
        () => false,
      );
      return { exitCode: broken.exitCode, output: broken.tail(), listening };
    };

    it('with a private key that is not the certificate’s', async () => {
      const run = await refusesToStart({ CORRAL_TLS_CERT: certs.good.certFile, CORRAL_TLS_KEY: certs.other.keyFile });
      expect(run.exitCode).toBe(1);
      expect(run.listening).toBe(false);
      expect(run.output).toContain(
        `CORRAL_TLS_KEY: ${certs.other.keyFile} is not the private key of ${certs.good.certFile}`,
      );
      expect(run.output).not.toMatch(/\n\s+at /);
    });

    it('with an expired certificate', async () => {
      const run = await refusesToStart({
        CORRAL_TLS_CERT: certs.expired.certFile,
        CORRAL_TLS_KEY: certs.expired.keyFile,
      });
      expect(run.exitCode).toBe(1);
      expect(run.listening).toBe(false);
      expect(run.output).toContain(`CORRAL_TLS_CERT: ${certs.expired.certFile} expired on Jan  2 00:00:00 2020 GMT`);
      expect(run.output).not.toMatch(/\n\s+at /);
    });
  });

  describe('an agent', () => {
    it('trusting the CA enrolls and connects through the front (so the counters do see a credential)', async () => {
      front.serve(certs.good.cert, certs.good.key);
      const name = `tls-good-${tag}`;
      const token = await enrollmentToken(name);
      const { agent, stateDir } = await startAgent(name, {
        CORRAL_CA_FILE: ca.certFile,
        CORRAL_ENROLLMENT_TOKEN: token.secret,
      });
      const host = await waitFor(
        `${name} online over TLS`,
        async () => {
          const hosts = await api<Page<ApiHost>>('GET', `/api/v1/hosts?name=${name}`);
          return hosts.body.items.find((h) => h.status === 'online' && h.facts);
        },
        30_000,
        200,
      ).catch((err) => {
        throw new Error(`${(err as Error).message}\n${agent.tail(20)}`);
      });
      expect(front.handshakes).toBeGreaterThan(0);
      expect(front.bytesAfterHandshake).toBeGreaterThan(0);
      expect(await tokenUses(token.id)).toBe(1);
      await agent.kill();
      enrolledState = stateDir;
      enrolledHostId = host.id;
    });

    // Each case: a new agent with an enrollment token (it would send the token) and the enrolled one
    // restarted (it would send its credential); neither may complete a handshake or send a byte.
    const facing = async (cert: Issued, trust: Record<string, string>, expected: string) => {
      front.serve(cert.cert, cert.key);
      const before = (await api<ApiHost>('GET', `/api/v1/hosts/${enrolledHostId}`)).body;
      const name = `tls-new-${randomBytes(2).toString('hex')}`;
      const token = await enrollmentToken(name);
      const fresh = await startAgent(name, { ...trust, CORRAL_ENROLLMENT_TOKEN: token.secret });
      const enrolled = await startAgent(`tls-good-${tag}`, trust, enrolledState);
      await logged(fresh.agent, expected, `the new agent to refuse the certificate (${expected})`);
      await logged(enrolled.agent, expected, `the enrolled agent to refuse the certificate (${expected})`);
      // Both tried again meanwhile (more chances to leak), and both are still refusing.
      await new Promise((r) => setTimeout(r, 1_500));
      await Promise.all([fresh.agent.kill(), enrolled.agent.kill()]);
      const seen = { connections: front.connections, bytes: front.bytesAfterHandshake, refused: [...front.refused] };
      expect(await tokenUses(token.id)).toBe(0);
      const after = (await api<ApiHost>('GET', `/api/v1/hosts/${enrolledHostId}`)).body;
      expect(after.connectedAt).toBe(before.connectedAt);
      const hosts = await api<Page<ApiHost>>('GET', `/api/v1/hosts?name=${name}`);
      expect(hosts.body.items).toEqual([]);
      expect(seen.connections).toBeGreaterThanOrEqual(2);
      expect(seen.bytes, 'bytes the agents sent after a TLS handshake').toBe(0);
      return { seen, logs: [...fresh.agent.output, ...enrolled.agent.output] };
    };

    it('facing a certificate for another hostname fails with a clear error and sends nothing', async () => {
      const { seen } = await facing(
        certs.wrongName,
        { CORRAL_CA_FILE: ca.certFile },
        "Hostname/IP does not match certificate's altnames: IP: 127.0.0.1 is not in the cert's list",
      );
      expect(front.handshakes).toBe(0);
      expect(seen.refused.length).toBeGreaterThanOrEqual(2);
    });

    it('facing an expired certificate fails with a clear error and sends nothing', async () => {
      const { seen } = await facing(certs.expired, { CORRAL_CA_FILE: ca.certFile }, 'certificate has expired');
      expect(front.handshakes).toBe(0);
      expect(seen.refused.length).toBeGreaterThanOrEqual(2);
    });

    it('pinning (CORRAL_CONTROLLER_FINGERPRINT) an expired certificate refuses it and sends nothing', async () => {
      // The pin replaces the CA and name checks, not the validity dates: handshakes complete, then
      // the agent drops the connection before its request.
      await facing(
        certs.expired,
        { CORRAL_CONTROLLER_FINGERPRINT: certs.expired.fingerprint256 },
        'controller certificate expired on Jan  2 00:00:00 2020 GMT',
      );
    });

    it('with an unreadable CORRAL_CA_FILE stops at start, naming it, before connecting', async () => {
      front.serve(certs.good.cert, certs.good.key);
      const notPem = path.join(dir, 'not-a-ca.pem');
      await writeFile(notPem, 'this is not a certificate\n');
      const folder = path.join(dir, 'a-directory');
      await mkdir(folder, { recursive: true });
      const cases: [string, string][] = [
        [path.join(dir, 'missing-ca.pem'), `CORRAL_CA_FILE: cannot read ${path.join(dir, 'missing-ca.pem')}: ENOENT`],
        [folder, `CORRAL_CA_FILE: cannot read ${folder}: EISDIR`],
        [notPem, `CORRAL_CA_FILE: ${notPem} holds no PEM certificate`],
      ];
      for (const [file, message] of cases) {
        const token = await enrollmentToken(`tls-ca-${tag}`);
        const { agent } = await startAgent(`tls-ca-${tag}`, {
          CORRAL_CA_FILE: file,
          CORRAL_ENROLLMENT_TOKEN: token.secret,
        });
        await waitFor(`agent with CORRAL_CA_FILE=${file} to exit`, () => !agent.running, 20_000, 100);
        expect(agent.exitCode, agent.tail()).toBe(1);
        expect(agent.tail()).toContain(message);
        expect(agent.tail()).not.toMatch(/\n\s+at /);
        expect(await tokenUses(token.id)).toBe(0);
      }
      expect(front.connections).toBe(0);
    });
  });
});
