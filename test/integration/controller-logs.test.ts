import { afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { AppProcess, freePort } from '../support/processes.js';
import { waitFor } from '../support/wait.js';

// The built controller with its output going to a pipe, as under systemd, docker or `> file`: JSON
// lines unless CORRAL_LOG_FORMAT=text.
describe('controller log written to a pipe', () => {
  let db: TestDatabase | null = null;
  let controller: AppProcess | null = null;

  afterEach(async () => {
    await controller?.kill('SIGTERM');
    await db?.drop();
    controller = null;
    db = null;
  });

  const start = async (env: Record<string, string>) => {
    db = await createTestDatabase('corral_logs');
    const port = await freePort();
    controller = new AppProcess('controller', {
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: db.url,
      // Colours come from the terminal, not from FORCE_COLOR or a parent's settings.
      FORCE_COLOR: '',
      NO_COLOR: '',
      // Without one, the first start prints the admin token it made in a banner for a person, outside the log.
      CORRAL_ADMIN_TOKEN: 'corral-logs-test-admin-token-0123',
      ...env,
    });
    controller.start();
    const c = controller;
    await waitFor(
      'the controller to say where its API is',
      () => c.output.some((l) => l.includes('API on http')),
      60_000,
    );
    return c;
  };

  const json = (lines: string[]) =>
    lines.map((line) => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        throw new Error(`not a JSON line: ${line}`);
      }
    });

  it('writes JSON lines, no colour codes and no route mapping at the default level', async () => {
    const c = await start({});
    expect(c.output.join('\n')).not.toContain('\u001b');
    const lines = json(c.output);
    expect(lines.filter((l) => String(l.msg).includes('Mapped {'))).toEqual([]);
    expect(lines.filter((l) => l.context === 'RoutesResolver')).toEqual([]);
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 'info',
        context: 'Corral',
        msg: expect.stringMatching(/^API on http:\/\/127\.0\.0\.1:\d+\/api\/v1/),
      }),
    );
    for (const line of lines) {
      expect(typeof line.time).toBe('string');
      expect(typeof line.pid).toBe('number');
    }
    // Start-up fits on a screen: the controller's own lines, not one per route.
    expect(c.output.length).toBeLessThan(20);
  });

  it('logs each request with its request id, the one the client sent or a fresh one it answers', async () => {
    const c = await start({});
    const url = c.output.map((l) => /API on (http:\/\/[^/]+)/.exec(l)?.[1]).find(Boolean)!;
    const given = await fetch(`${url}/api/v1/hosts`, { headers: { 'x-request-id': 'trace-logs-1' } });
    expect(given.status).toBe(401);
    const fresh = await fetch(`${url}/api/v1/hosts?token=never-logged-secret`);
    const freshId = fresh.headers.get('x-request-id')!;
    await waitFor('both request lines', () => json(c.output).filter((l) => l.context === 'Http').length >= 2);
    const http = json(c.output).filter((l) => l.context === 'Http');
    expect(http).toContainEqual(
      expect.objectContaining({ reqId: 'trace-logs-1', method: 'GET', url: '/api/v1/hosts', status: 401 }),
    );
    expect(http).toContainEqual(expect.objectContaining({ reqId: freshId, status: 401 }));
    expect(c.output.join('\n')).not.toContain('never-logged-secret');
  });

  it('shows each route mapping as a debug line with CORRAL_LOG_LEVEL=debug', async () => {
    const c = await start({ CORRAL_LOG_LEVEL: 'debug' });
    const mapped = json(c.output.filter((l) => l.includes('Mapped {')));
    expect(mapped.length).toBeGreaterThan(50);
    for (const line of mapped) expect(line).toMatchObject({ level: 'debug', context: 'RouterExplorer' });
    expect(c.output.join('\n')).not.toContain('\u001b');
  });

  it('writes text lines, still without colours, with CORRAL_LOG_FORMAT=text', async () => {
    const c = await start({ CORRAL_LOG_FORMAT: 'text', CORRAL_LOG_LEVEL: 'debug' });
    const text = c.output.join('\n');
    expect(text).not.toContain('\u001b');
    expect(text).toMatch(/LOG \[Corral\] API on http:\/\/127\.0\.0\.1:\d+\/api\/v1/);
    const mapped = c.output.filter((l) => l.includes('Mapped {'));
    expect(mapped.length).toBeGreaterThan(50);
    for (const line of mapped) expect(line).toMatch(/ DEBUG \[RouterExplorer\] Mapped \{/);
  });
});
