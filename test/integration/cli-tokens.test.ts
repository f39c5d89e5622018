import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { answerOf } from '../support/http.js';
import { AppProcess, type CliRun, controllerCli, freePort } from '../support/processes.js';
import { waitFor } from '../support/wait.js';

// The controller's command line (`enroll-token`, `api-token`) as the built program, on real Postgres:
// the configured one (DATABASE_URL) and the embedded one, with and without the controller running.

const ENROLLMENT = /^crl_enr_[A-Za-z0-9_-]{43}$/;
const API = /^crl_api_[A-Za-z0-9_-]{43}$/;
// ApiTokenService remembers a token it found for REMEMBER_MS = 2 s; this is that window plus slack.
const TOKEN_CACHE_MS = 2_000;
const REFUSED_WITHIN_MS = 2_500;

// stdout is the secret and a newline, nothing else (so that $(...) captures exactly the token).
function secretOf(run: CliRun, pattern: RegExp): string {
  expect(run.exitCode, `exit code; stderr:\n${run.stderr}`).toBe(0);
  expect(run.stdout.endsWith('\n') && run.stdout.split('\n')).toEqual([run.stdout.trim(), '']);
  expect(run.stdout.trim()).toMatch(pattern);
  expect(run.stderr).not.toContain(run.stdout.trim());
  return run.stdout.trim();
}

async function rows<T extends pg.QueryResultRow>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

const near = (iso: string | Date | null, expectedMs: number, slackMs = 120_000) =>
  iso !== null && Math.abs(new Date(iso).getTime() - expectedMs) < slackMs;

// A controller process and the HTTP calls the tests make on it.
async function startController(env: Record<string, string>, adminToken: string) {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const controller = new AppProcess('controller', {
    PORT: String(port),
    HOST: '127.0.0.1',
    CORRAL_LOG_LEVEL: 'warn',
    CORRAL_ADMIN_TOKEN: adminToken,
    ...env,
  });
  controller.start();
  await waitFor('controller ready', async () => (await fetch(`${base}/readyz`)).ok, 90_000, 100).catch((err) => {
    throw new Error(`${(err as Error).message}\n${controller.tail()}`);
  });
  const call = async <T = unknown>(method: string, p: string, secret: string | null, body?: unknown) =>
    answerOf<T>(
      await fetch(`${base}${p}`, {
        method,
        headers: {
          ...(secret ? { authorization: `Bearer ${secret}` } : {}),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      }),
    );
  const enroll = (token: string, hostname: string, agentId = randomUUID()) =>
    call<{ hostId: string; message: string }>('POST', '/api/v1/enroll', null, { token, agentId, hostname });
  return { controller, base, call, enroll };
}

describe('enroll-token and api-token on DATABASE_URL', () => {
  let db: TestDatabase;
  let env: Record<string, string>;
  let ctl: Awaited<ReturnType<typeof startController>> | undefined;
  const adminToken = `corral-test-admin-${randomBytes(16).toString('hex')}`;
  const tag = randomBytes(3).toString('hex');
  // Made before the controller ever ran.
  const made = { takeover: '', plain: '', viewer: '', admin: '' };
  let madeAt = 0;

  const tokenCount = async () =>
    Number(
      (
        await rows<{ n: string }>(
          db.url,
          'SELECT (SELECT count(*) FROM "ApiToken") + (SELECT count(*) FROM "EnrollmentToken") AS n',
        )
      )[0]!.n,
    );

  beforeAll(async () => {
    db = await createTestDatabase('corral_test');
    env = { DATABASE_URL: db.url };
  });

  afterAll(async () => {
    await ctl?.controller.kill();
    await db?.drop();
  });

  it('makes tokens with every flag while no controller runs, printing only the token on stdout', async () => {
    madeAt = Date.now();
    made.takeover = secretOf(
      await controllerCli(
        ['enroll-token', '--uses', '3', '--expires', '2h', '--name', `cli-${tag}`, '--allow-takeover'],
        env,
      ),
      ENROLLMENT,
    );
    made.plain = secretOf(await controllerCli(['enroll-token'], env), ENROLLMENT);
    made.viewer = secretOf(
      await controllerCli(['api-token', '--name', `viewer-${tag}`, '--role', 'viewer', '--expires', '30d'], env),
      API,
    );
    const admin = await controllerCli(['api-token', '--name', `admin-${tag}`, '--role', 'admin'], env);
    made.admin = secretOf(admin, API);
    expect(admin.stderr).toMatch(/API token crl_api_\S+… "admin-\w+" \(id [0-9a-f-]{36}\) with role admin/);

    const enrollment = await rows<{
      prefix: string;
      name: string | null;
      maxUses: number;
      uses: number;
      allowTakeover: boolean;
      createdBy: string;
      expiresAt: Date;
    }>(db.url, 'SELECT * FROM "EnrollmentToken" ORDER BY "createdAt"');
    expect(enrollment).toHaveLength(2);
    expect(enrollment[0]).toMatchObject({
      name: `cli-${tag}`,
      maxUses: 3,
      uses: 0,
      allowTakeover: true,
      createdBy: 'command line',
    });
    expect(made.takeover.startsWith(enrollment[0]!.prefix)).toBe(true);
    expect(near(enrollment[0]!.expiresAt, madeAt + 2 * 3600_000)).toBe(true);
    // The defaults: one use, one hour, no name, no takeover.
    expect(enrollment[1]).toMatchObject({ name: null, maxUses: 1, uses: 0, allowTakeover: false });
    expect(near(enrollment[1]!.expiresAt, madeAt + 3600_000)).toBe(true);

    const api = await rows<{ name: string; role: string; expiresAt: Date | null; createdBy: string }>(
      db.url,
      'SELECT name, role::text, "expiresAt", "createdBy" FROM "ApiToken" ORDER BY "createdAt"',
    );
    expect(api.map((t) => [t.name, t.role, t.createdBy])).toEqual([
      [`viewer-${tag}`, 'viewer', 'command line'],
      [`admin-${tag}`, 'admin', 'command line'],
    ]);
    expect(near(api[0]!.expiresAt, madeAt + 30 * 86_400_000)).toBe(true);
    expect(api[1]!.expiresAt).toBeNull();

    const audit = await rows<{ action: string; actor: string }>(db.url, 'SELECT action, actor FROM "AuditEntry"');
    expect(audit.filter((a) => a.actor === 'command line').map((a) => a.action)).toEqual(
      expect.arrayContaining(['CLI enroll-token', 'CLI enroll-token', 'CLI api-token', 'CLI api-token']),
    );
  });

  it('the tokens made offline work once the controller runs, and new ones work at once', async () => {
    ctl = await startController(env, adminToken);
    const { call, enroll } = ctl;
    // Roles as given: a viewer reads but cannot make tokens, the admin can.
    expect((await call('GET', '/api/v1/hosts', made.viewer)).status).toBe(200);
    expect((await call('POST', '/api/v1/tokens', made.viewer, { name: 'x', role: 'viewer' })).status).toBe(403);
    expect((await call('POST', '/api/v1/tokens', made.admin, { name: 'x', role: 'viewer' })).status).toBe(201);

    // --uses 3: three agents enroll, the fourth is refused.
    const hosts = [];
    for (let i = 1; i <= 3; i++) {
      const res = await enroll(made.takeover, `cli-${tag}-${i}`);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      hosts.push(res.body.hostId);
    }
    const fourth = await enroll(made.takeover, `cli-${tag}-4`);
    expect(fourth.status).toBe(403);
    expect(fourth.body.message).toContain('already used 3 of 3');

    // Without --allow-takeover a token cannot take an enrolled hostname; with it, it can.
    const whileRunning = secretOf(await controllerCli(['enroll-token', '--uses', '2'], env), ENROLLMENT);
    expect((await enroll(whileRunning, `cli-${tag}-1`)).status).toBe(409);
    const takeover = secretOf(
      await controllerCli(['enroll-token', '--allow-takeover', '--name', 'takeover'], env),
      ENROLLMENT,
    );
    const taken = await enroll(takeover, `cli-${tag}-1`);
    expect(taken.status, JSON.stringify(taken.body)).toBe(200);
    expect(taken.body.hostId).toBe(hosts[0]);
    expect((await enroll(whileRunning, `cli-${tag}-new`)).status).toBe(200);
    expect((await enroll(made.plain, `cli-${tag}-plain`)).status).toBe(200);

    const operator = secretOf(await controllerCli(['api-token', '--name', 'ops', '--role', 'operator'], env), API);
    expect((await call('GET', '/api/v1/hosts', operator)).status).toBe(200);
    expect((await call('GET', '/api/v1/tokens', operator)).status).toBe(403);
    // What the API lists agrees with the flags.
    const listed = await call<{ items: { name: string; role: string; expiresAt: string | null }[] }>(
      'GET',
      '/api/v1/tokens',
      adminToken,
    );
    expect(listed.body.items.find((t) => t.name === `viewer-${tag}`)).toMatchObject({ role: 'viewer' });
    expect(near(listed.body.items.find((t) => t.name === `viewer-${tag}`)!.expiresAt, madeAt + 30 * 86_400_000)).toBe(
      true,
    );
  });

  it(`a token revoked with api-token --revoke is refused by the running controller within its ${TOKEN_CACHE_MS} ms cache window`, async () => {
    const { call } = ctl!;
    const made = await controllerCli(['api-token', '--name', `doomed-${tag}`, '--role', 'viewer'], env);
    const doomed = secretOf(made, API);
    const id = /\(id ([0-9a-f-]{36})\)/.exec(made.stderr)?.[1];
    expect(id, made.stderr).toBeDefined();
    // In use, so that the controller holds it in its cache when the revocation lands behind its back.
    let lastAccepted = 0;
    let firstRefused = 0;
    let refusal = '';
    let stop = false;
    const poll = (async () => {
      for (let i = 0; i < 1_000 && !stop; i++) {
        const res = await call<{ message: string }>('GET', '/api/v1/hosts?limit=1', doomed);
        if (res.status === 200) lastAccepted = Date.now();
        else {
          firstRefused = Date.now();
          refusal = `${res.status} ${res.body.message}`;
          return;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    await waitFor('token in use', () => lastAccepted > 0, 10_000);
    const revoke = await controllerCli(['api-token', '--revoke', id!], env);
    const revokedAt = Date.now();
    expect(revoke.exitCode, revoke.stderr).toBe(0);
    expect(revoke.stdout).toBe('');
    expect(revoke.stderr).toContain(`doomed-${tag}`);
    await Promise.race([poll, new Promise((r) => setTimeout(r, 10_000))]);
    stop = true;
    expect(firstRefused, 'the revoked token was never refused').toBeGreaterThan(0);
    console.log(
      `revoked token: last accepted ${lastAccepted - revokedAt} ms, first refused ${firstRefused - revokedAt} ms after the command line exited`,
    );
    expect(
      firstRefused - revokedAt,
      `refused ${firstRefused - revokedAt} ms after the command line revoked it; the controller's token cache keeps a token ${TOKEN_CACHE_MS} ms`,
    ).toBeLessThanOrEqual(REFUSED_WITHIN_MS);
    expect(refusal).toMatch(/^401 token crl_api_\S+… was revoked$/);
    const audit = await call<{ items: { action: string; actor: string }[] }>(
      'GET',
      `/api/v1/audit?targetId=${id}`,
      adminToken,
    );
    expect(audit.body.items.map((e) => [e.action, e.actor])).toContainEqual(['CLI api-token --revoke', 'command line']);
    // Revoking it again changes nothing and says so; a token that does not exist is an error (exit 1).
    const again = await controllerCli(['api-token', '--revoke', id!], env);
    expect([again.exitCode, again.stdout]).toEqual([0, '']);
    expect(again.stderr).toContain('was already revoked');
    const unknown = await controllerCli(['api-token', '--revoke', randomUUID()], env);
    expect([unknown.exitCode, unknown.stdout]).toEqual([1, '']);
    expect(unknown.stderr).toMatch(/no API token with id [0-9a-f-]{36}/);
  });

  it('refuses bad flags with a clear message and exit code 2, writing nothing', async () => {
    const before = await tokenCount();
    const cases: [string[], RegExp][] = [
      [['enroll-token', '--bogus'], /enroll-token: unknown option '--bogus'/i],
      [['enroll-token', '--uses'], /enroll-token: option '--uses <value>' argument missing/i],
      [['enroll-token', '--uses', '0'], /--uses "0": .*1/],
      [['enroll-token', '--uses', 'two'], /--uses "two": .*whole number/],
      [['enroll-token', '--uses', '100001'], /--uses "100001": .*100000/],
      [['enroll-token', '--expires', '1y'], /--expires "1y": .*90s, 30m, 1h or 7d/],
      [['enroll-token', '--expires', '10s'], /--expires "10s": .*60/],
      [['enroll-token', '--expires', '31d'], /--expires "31d": .*2592000/],
      [['enroll-token', '--name', ''], /--name "": /],
      [['enroll-token', 'extra'], /enroll-token: unexpected argument 'extra'/i],
      [['enroll-token', '--allow-takeover=yes'], /enroll-token: option '--allow-takeover' does not take an argument/i],
      [['api-token', '--role', 'viewer'], /api-token needs --name NAME/],
      [['api-token', '--name', 'x'], /--role "": must be viewer, operator or admin/],
      [['api-token', '--name', 'x', '--role', 'root'], /--role "root": must be viewer, operator or admin/],
      [['api-token', '--name', 'x', '--role', 'viewer', '--expires', '0'], /--expires "0": .*60/],
      [['api-token', '--revoke', 'not-an-id'], /--revoke "not-an-id": must be a token id/],
      [['api-token', '--revoke', randomUUID(), '--name', 'x'], /--revoke goes alone/],
      [['frobnicate'], /unknown command "frobnicate"/],
    ];
    // Three at a time: each is a whole controller start-up, about a second and a half (more on a busy machine).
    const runs: CliRun[] = [];
    for (let i = 0; i < cases.length; i += 3) {
      runs.push(...(await Promise.all(cases.slice(i, i + 3).map(([args]) => controllerCli(args, env)))));
    }
    for (const [i, [args, message]] of cases.entries()) {
      const run = runs[i]!;
      const shown = `${args.join(' ')} -> exit ${run.exitCode}, stderr:\n${run.stderr}`;
      expect(run.exitCode, shown).toBe(2);
      expect(run.stdout, shown).toBe('');
      expect(run.stderr, shown).toMatch(message);
      // A usage mistake is explained, not dumped as a stack trace.
      expect(run.stderr, shown).not.toMatch(/\n\s+at /);
      expect(run.stderr, shown).toContain('usage: npm run controller');
    }
    expect(await tokenCount()).toBe(before);
    const help = await controllerCli(['--help'], env);
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toContain('api-token --name NAME --role viewer|operator|admin');
    expect(help.stdout).toContain('--revoke ID');
  }, 180_000);

  it('fails with exit code 1 and says why when the database cannot be reached', async () => {
    const port = await freePort();
    const run = await controllerCli(['api-token', '--name', 'x', '--role', 'viewer'], {
      DATABASE_URL: `postgresql://postgres@127.0.0.1:${port}/nowhere`,
    });
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^api-token failed: .*ECONNREFUSED/m);
    expect(run.stderr).not.toContain('controller failed to start');
  });
});

describe('enroll-token and api-token on the embedded Postgres (no DATABASE_URL)', () => {
  let dataDir: string;
  let env: Record<string, string>;
  let ctl: Awaited<ReturnType<typeof startController>> | undefined;
  let offlineToken = '';
  const adminToken = `corral-test-admin-${randomBytes(16).toString('hex')}`;
  const postmasterPid = () => {
    const file = path.join(dataDir, 'postgres', 'postmaster.pid');
    return existsSync(file) ? Number(readFileSync(file, 'utf8').split('\n')[0]) : null;
  };
  const alive = (pid: number | null) => {
    if (!pid) return false;
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'corral-test-cli-'));
    // As root the server runs as the postgres user, which must get into the directory.
    await chmod(dataDir, 0o755);
    env = { CORRAL_DATA_DIR: dataDir, DATABASE_URL: '' };
  });

  afterAll(async () => {
    await ctl?.controller.kill();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('without the controller: starts the embedded Postgres for the one command and stops it again', async () => {
    const run = await controllerCli(['enroll-token', '--name', 'embedded'], env, 180_000);
    offlineToken = secretOf(run, ENROLLMENT);
    // Its progress went to stderr, so stdout held the token alone.
    expect(run.stderr).toContain('Embedded Postgres ready');
    const pid = postmasterPid();
    expect(pid === null || !alive(pid), `postmaster ${pid} left running`).toBe(true);
  });

  it('with the controller running on it: uses that server, leaves it running, and the tokens work', async () => {
    ctl = await startController(env, adminToken);
    const serverPid = postmasterPid();
    expect(alive(serverPid)).toBe(true);
    const run = await controllerCli(['api-token', '--name', 'embedded-admin', '--role', 'admin'], env);
    const admin = secretOf(run, API);
    // The controller's own server answered: no second one was started (nor stopped at the end).
    expect(run.stderr).not.toContain('Embedded Postgres ready');
    expect(postmasterPid()).toBe(serverPid);
    expect(alive(serverPid)).toBe(true);
    expect((await fetch(`${ctl.base}/readyz`)).status).toBe(200);
    expect((await ctl.call('GET', '/api/v1/tokens', admin)).status).toBe(200);
    const enrolled = await ctl.enroll(offlineToken, `embedded-${randomBytes(2).toString('hex')}`);
    expect(enrolled.status, JSON.stringify(enrolled.body)).toBe(200);
  });
});
