import { afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { AppProcess, freePort } from '../support/processes.js';
import { waitFor } from '../support/wait.js';

// The built controller with its output going to a pipe, as under systemd, docker or `> file`.
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

  it('has no colour codes and no route mapping at the default level', async () => {
    const c = await start({});
    const text = c.output.join('\n');
    expect(text).not.toContain('\u001b');
    expect(c.output.filter((l) => l.includes('Mapped {'))).toEqual([]);
    expect(c.output.filter((l) => l.includes('RoutesResolver'))).toEqual([]);
    expect(text).toMatch(/LOG \[Corral\] API on http:\/\/127\.0\.0\.1:\d+\/api\/v1/);
    // Start-up fits on a screen: the controller's own lines, not one per route.
    expect(c.output.length).toBeLessThan(20);
  });

  it('shows each route mapping as a debug line with CORRAL_LOG_LEVEL=debug', async () => {
    const c = await start({ CORRAL_LOG_LEVEL: 'debug' });
    const mapped = c.output.filter((l) => l.includes('Mapped {'));
    expect(mapped.length).toBeGreaterThan(50);
    for (const line of mapped) expect(line).toMatch(/ DEBUG \[RouterExplorer\] Mapped \{/);
    expect(c.output.join('\n')).not.toContain('\u001b');
  });
});
