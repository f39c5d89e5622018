import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { CorralClient } from '@corral/client';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestController, TEST_ADMIN_TOKEN, type TestController } from '../support/controller.js';

interface Reply {
  status: number;
  headers: Headers;
  body: string;
}

// Raw requests, so every cookie and header sent is the test's own.
async function call(base: string, method: string, p: string, headers: Record<string, string> = {}, body?: string) {
  const res = await fetch(`${base}${p}`, { method, headers, body });
  return { status: res.status, headers: res.headers, body: await res.text() } satisfies Reply;
}

async function sql<T>(url: string, text: string, params: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(text, params)).rows as T[];
  } finally {
    await c.end();
  }
}

function cookieOf(reply: Reply): string {
  const set = reply.headers.get('set-cookie') ?? '';
  const match = /corral_session=([^;]*)/.exec(set);
  if (!match) throw new Error(`no session cookie in ${set}`);
  return match[1]!;
}

describe('web sessions', () => {
  let ctl: TestController;
  let hostId: string;

  beforeAll(async () => {
    ctl = await startTestController();
    hostId = (await ctl.enroll({ hostname: 'session-host' })).hostId;
  });
  afterAll(async () => ctl?.close());

  const signIn = async (secret: string) => {
    const reply = await call(
      ctl.baseUrl,
      'POST',
      '/api/v1/session',
      { 'content-type': 'application/json' },
      JSON.stringify({ token: secret }),
    );
    expect(reply.status).toBe(201);
    return {
      reply,
      cookie: cookieOf(reply),
      body: JSON.parse(reply.body) as { role: string; csrfToken: string; expiresAt: string },
    };
  };

  it('trades a token for an HttpOnly, SameSite=Strict cookie whose id is stored hashed', async () => {
    const viewer = await ctl.token('viewer', 'web viewer');
    const { reply, cookie, body } = await signIn(viewer.secret);
    const set = reply.headers.get('set-cookie')!;
    expect(set).toMatch(/HttpOnly/);
    expect(set).toMatch(/SameSite=Strict/);
    expect(set).toMatch(/Path=\//);
    expect(set).not.toMatch(/Secure/);
    expect(body.role).toBe('viewer');
    expect(JSON.stringify(body)).not.toContain(viewer.secret);
    const rows = await sql<{ secretHash: string; tokenId: string }>(
      ctl.db.url,
      'SELECT "secretHash", "tokenId" FROM "WebSession"',
    );
    expect(rows.map((r) => r.secretHash)).toContain(createHash('sha256').update(cookie).digest('hex'));
    expect(JSON.stringify(rows)).not.toContain(cookie);

    const hosts = await call(ctl.baseUrl, 'GET', '/api/v1/hosts', { cookie: `corral_session=${cookie}` });
    expect(hosts.status).toBe(200);
    const again = await call(ctl.baseUrl, 'GET', '/api/v1/session', { cookie: `other=1; corral_session=${cookie}` });
    expect(JSON.parse(again.body).csrfToken).toBe(body.csrfToken);
  });

  it('refuses a bad token with 401 and sets no cookie', async () => {
    const reply = await call(
      ctl.baseUrl,
      'POST',
      '/api/v1/session',
      { 'content-type': 'application/json' },
      JSON.stringify({ token: 'crl_api_nope' }),
    );
    expect(reply.status).toBe(401);
    expect(reply.headers.get('set-cookie')).toBeNull();
  });

  it('needs the CSRF header and a same-origin Origin for changes made with the cookie', async () => {
    const operator = await ctl.token('operator', 'web operator');
    const { cookie, body } = await signIn(operator.secret);
    const cordon = (headers: Record<string, string>, payload = '{}') =>
      call(
        ctl.baseUrl,
        'POST',
        `/api/v1/hosts/${hostId}/cordon`,
        { cookie: `corral_session=${cookie}`, ...headers },
        payload,
      );
    const json = { 'content-type': 'application/json' };

    expect((await cordon(json)).status).toBe(403);
    expect((await cordon({ ...json, 'x-corral-csrf': 'wrong' })).status).toBe(403);
    const foreign = await cordon({ ...json, 'x-corral-csrf': body.csrfToken, origin: 'http://evil.example' });
    expect(foreign.status).toBe(403);
    // What a form on another site can send: a form body, no custom header.
    const form = await cordon(
      { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://evil.example' },
      'reason=x',
    );
    expect([403, 415]).toContain(form.status);
    expect((await ctl.client.host(hostId)).cordoned).toBe(false);

    const origin = ctl.baseUrl;
    const ok = await cordon({ ...json, 'x-corral-csrf': body.csrfToken, origin });
    expect(ok.status).toBe(200);
    expect((await ctl.client.host(hostId)).cordoned).toBe(true);
    const audit = await ctl.client.audit({ action: 'cordon' });
    expect(audit.items.some((a) => a.actor === 'token:web operator' && a.outcome === 'ok')).toBe(true);
    await ctl.client.uncordon(hostId);
  });

  it('refuses a viewer session actions, by role', async () => {
    const viewer = await ctl.token('viewer');
    const { cookie, body } = await signIn(viewer.secret);
    const reply = await call(
      ctl.baseUrl,
      'POST',
      `/api/v1/hosts/${hostId}/cordon`,
      { cookie: `corral_session=${cookie}`, 'x-corral-csrf': body.csrfToken, 'content-type': 'application/json' },
      '{}',
    );
    expect(reply.status).toBe(403);
    expect(reply.body).toContain('operator');
  });

  it('ends with its token: revoked, expired, and at sign-out', async () => {
    const t1 = await ctl.token('viewer', 'revoked soon');
    const s1 = await signIn(t1.secret);
    await ctl.client.revokeToken(t1.id);
    expect((await call(ctl.baseUrl, 'GET', '/api/v1/hosts', { cookie: `corral_session=${s1.cookie}` })).status).toBe(
      401,
    );
    const asked = await call(ctl.baseUrl, 'GET', '/api/v1/session', { cookie: `corral_session=${s1.cookie}` });
    expect(asked.status).toBe(401);
    expect(asked.body).toContain('revoked');
    expect((await call(ctl.baseUrl, 'GET', '/api/v1/session')).status).toBe(401);

    const t2 = await ctl.client.createToken({ name: 'short', role: 'viewer', expiresInSeconds: 120 });
    const s2 = await signIn(t2.secret);
    expect(Date.parse(s2.body.expiresAt)).toBeLessThanOrEqual(Date.parse(t2.expiresAt!));
    await sql(ctl.db.url, `UPDATE "ApiToken" SET "expiresAt" = now() - interval '1 second' WHERE id = $1`, [t2.id]);
    expect((await call(ctl.baseUrl, 'GET', '/api/v1/hosts', { cookie: `corral_session=${s2.cookie}` })).status).toBe(
      401,
    );

    const t3 = await ctl.token('viewer', 'signs out');
    const page = new CorralClient({
      baseUrl: ctl.baseUrl,
      fetch: async (input, init) => {
        const headers = new Headers(init?.headers);
        if (cookie3) headers.set('cookie', `corral_session=${cookie3}`);
        const res = await fetch(input, { ...init, headers });
        const set = res.headers.get('set-cookie');
        if (set) cookie3 = /corral_session=([^;]*)/.exec(set)?.[1] ?? '';
        return res;
      },
    });
    let cookie3 = '';
    await page.signIn(t3.secret);
    const old = cookie3;
    expect((await page.hosts()).items.length).toBeGreaterThan(0);
    await page.signOut();
    expect(cookie3).toBe('');
    expect((await call(ctl.baseUrl, 'GET', '/api/v1/hosts', { cookie: `corral_session=${old}` })).status).toBe(401);
  });

  it('serves the web view at / and on its own paths, with a CSP, and leaves the API alone', async () => {
    const index = await call(ctl.baseUrl, 'GET', '/');
    expect(index.status).toBe(200);
    expect(index.body).toContain('<div id="app">');
    expect(index.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect((await call(ctl.baseUrl, 'GET', '/hosts/abc')).body).toContain('<div id="app">');
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(index.body)![1]!;
    const js = await call(ctl.baseUrl, 'GET', asset);
    expect(js.status).toBe(200);
    expect(js.headers.get('cache-control')).toContain('immutable');
    expect(js.headers.get('content-security-policy')).toContain("script-src 'self'");
    // A missing asset is a 404, never the page served as a script.
    const missing = await call(ctl.baseUrl, 'GET', '/assets/index-00000000.js');
    expect(missing.status).toBe(404);
    expect(missing.body).not.toContain('<div id="app">');
    const api = await call(ctl.baseUrl, 'GET', '/api/v1/nothing-here');
    expect(api.status).toBe(404);
    expect(api.headers.get('content-type')).toContain('json');
  });
});

describe('web sessions behind TLS', () => {
  let ctl: TestController;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'corral-web-tls-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        path.join(dir, 'key.pem'),
        '-out',
        path.join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    ctl = await startTestController({
      CORRAL_TLS_CERT: path.join(dir, 'cert.pem'),
      CORRAL_TLS_KEY: path.join(dir, 'key.pem'),
    });
  });
  afterAll(async () => {
    await ctl?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const tls = (method: string, p: string, body?: string) =>
    new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>(
      (resolve, reject) => {
        const req = https.request(
          `${ctl.baseUrl}${p}`,
          {
            method,
            ca: readFileSync(path.join(dir, 'cert.pem')),
            headers: body ? { 'content-type': 'application/json' } : {},
          },
          (res) => {
            let text = '';
            res.on('data', (c) => (text += c));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
          },
        );
        req.on('error', reject);
        req.end(body);
      },
    );

  it('serves the page over HTTPS and marks the cookie Secure', async () => {
    const page = await tls('GET', '/');
    expect(page.status).toBe(200);
    expect(page.body).toContain('<div id="app">');
    const signed = await tls('POST', '/api/v1/session', JSON.stringify({ token: TEST_ADMIN_TOKEN }));
    expect(signed.status).toBe(201);
    expect(String(signed.headers['set-cookie'])).toMatch(/; Secure/);
  });
});
