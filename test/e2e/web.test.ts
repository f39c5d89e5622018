import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, chromiumMissing, openBrowser, screenshot, seriousA11yViolations } from '../support/browser.js';
import { Corral } from '../support/corral.js';
import { sh, TEST_IMAGE } from '../support/engines.js';
import { waitFor } from '../support/wait.js';

const XSS = '<img src=x onerror=alert(1)>';
const GRACE_MS = 3_000;

// The web view in Debian's headless Chromium against the built controller, a real agent and the
// real Docker engine: sign-in, live rows, actions by role, markup shown as text, sign-out, and
// axe-core on every page (screenshots under test/artifacts/web).
describe('web view in a real browser', () => {
  const corral = new Corral({ controllerEnv: { CORRAL_OFFLINE_GRACE_MS: String(GRACE_MS) } });
  const name = `corral-test-web-${corral.tag}`;
  const placed = `corral-test-web-placed-${corral.tag}`;
  let admin: Browser;
  const dialogs: string[] = [];
  const inspectRunning = async () => JSON.parse(await sh('docker', ['inspect', name]))[0].State.Running as boolean;

  const signIn = async (b: Browser, token: string) => {
    await b.page.goto(`${corral.base}/`);
    await b.page.getByLabel('API token').fill(token);
    await b.page.getByRole('button', { name: 'Sign in' }).click();
    await b.page.getByRole('link', { name: 'Fleet' }).waitFor();
  };

  const expectA11y = async (b: Browser, page: string) => {
    const serious = await seriousA11yViolations(b.page);
    expect(serious, `${page}: ${JSON.stringify(serious, null, 1)}`).toEqual([]);
  };

  beforeAll(async () => {
    const missing = chromiumMissing();
    if (missing) throw new Error(missing);
    await corral.start();
    admin = await openBrowser();
    admin.page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
  });

  afterAll(async () => {
    await admin?.close();
    await sh('docker', ['rm', '-f', name, placed]).catch(() => {});
    await corral.stop();
  });

  it('signs in with an API token and shows the real host on the fleet page', async () => {
    await admin.page.goto(`${corral.base}/`);
    await admin.page.getByLabel('API token').waitFor();
    await screenshot(admin.page, 'sign-in');
    await expectA11y(admin, 'sign-in');
    await signIn(admin, corral.adminToken);
    const row = admin.page.locator(`tr[data-host="${corral.hostname}"]`);
    await row.waitFor({ timeout: 10_000 });
    expect(await row.textContent()).toContain('online');
    // The token is in no URL and in no storage the page can read.
    expect(admin.page.url()).not.toContain(corral.adminToken);
    const stored = await admin.page.evaluate<string>(
      'JSON.stringify(Object.entries(localStorage)) + JSON.stringify(Object.entries(sessionStorage)) + document.cookie',
    );
    expect(stored).not.toContain(corral.adminToken);
    const cookies = await admin.context.cookies();
    const session = cookies.find((c) => c.name === 'corral_session');
    expect(session?.httpOnly).toBe(true);
    expect(session?.sameSite).toBe('Strict');
    await screenshot(admin.page, 'fleet');
    await expectA11y(admin, 'fleet');
  });

  it('shows a container started with docker run on the open host page within 2 s, its markup label as text', async () => {
    await admin.page.locator(`tr[data-host="${corral.hostname}"] a`).click();
    await admin.page.getByRole('heading', { name: corral.hostname, level: 1 }).waitFor();
    await admin.page.getByRole('heading', { name: /^Containers/ }).waitFor();
    await sh('docker', [
      'run',
      '-d',
      '--name',
      name,
      '--label',
      'corral.test=1',
      '--label',
      `note=${XSS}`,
      TEST_IMAGE,
      'sleep',
      '3600',
    ]);
    const started = Date.now();
    const row = admin.page.locator(`tr[data-container="${name}"]`);
    await row.waitFor({ timeout: 5_000 });
    const elapsed = Date.now() - started;
    console.log(`web: the docker run container appeared on the open page after ${elapsed} ms`);
    expect(elapsed, `row appeared after ${elapsed} ms`).toBeLessThanOrEqual(2_000);
    await row.getByText('running').waitFor();
    // The label is text on the page, no element was made of it and no dialog opened.
    await admin.page.getByText(`note=${XSS}`).first().waitFor();
    expect(await admin.page.locator('img[src="x"]').count()).toBe(0);
    await admin.page.waitForTimeout(300);
    expect(dialogs).toEqual([]);
    await screenshot(admin.page, 'host');
    await expectA11y(admin, 'host');
  });

  it('stops and starts the container from the page, as docker inspect shows', async () => {
    expect(await inspectRunning()).toBe(true);
    await admin.page.getByRole('button', { name: `Stop ${name}`, exact: true }).click();
    await waitFor('docker says stopped', async () => !(await inspectRunning()), 30_000, 200);
    await admin.page.getByRole('button', { name: `Start ${name}`, exact: true }).waitFor({ timeout: 10_000 });
    await admin.page.getByRole('button', { name: `Start ${name}`, exact: true }).click();
    await waitFor('docker says running', inspectRunning, 30_000, 200);
    await admin.page.getByRole('button', { name: `Stop ${name}`, exact: true }).waitFor({ timeout: 10_000 });
  });

  it('runs a shell in the terminal: echo $((6*7)) shows 42, resizes pass through, the exit code shows', async () => {
    const p = admin.page;
    await p.getByRole('button', { name: `Exec in ${name}`, exact: true }).click();
    const dialog = p.getByRole('dialog', { name: `Exec in ${name}` });
    const status = dialog.getByRole('status');
    // The terminal's rows, as xterm.js draws them (one element a row).
    const lines = async () => (await dialog.locator('.xterm-rows > div').allInnerTexts()).map((l) => l.trim());
    const typeLine = async (text: string) => {
      await dialog.locator('.xterm-host').click();
      await p.keyboard.type(text);
      await p.keyboard.press('Enter');
    };
    try {
      expect(await dialog.getByRole('textbox', { name: 'Command' }).inputValue()).toBe('sh');
      await dialog.getByRole('button', { name: 'Connect' }).click();
      await status.getByText(/^Connected to /).waitFor({ timeout: 15_000 });
      await typeLine('echo $((6*7))');
      // The typed line reads $((6*7)); only the shell's answer is 42.
      await waitFor('42 in the terminal', async () => (await lines()).includes('42'), 15_000, 100);
      await screenshot(p, 'terminal');
      await expectA11y(admin, 'terminal dialog');

      // A smaller window makes a smaller terminal, and the shell in the container is told.
      const before = /(\d+)×(\d+)/.exec((await status.textContent()) ?? '')!;
      await p.setViewportSize({ width: 900, height: 700 });
      await waitFor(
        'the terminal to shrink',
        async () => {
          const now = /(\d+)×(\d+)/.exec((await status.textContent()) ?? '');
          return now && now[0] !== before[0] ? now : undefined;
        },
        10_000,
        100,
      );
      const [, cols, rows] = /(\d+)×(\d+)/.exec((await status.textContent()) ?? '')!;
      await typeLine('stty size');
      await waitFor(
        `stty size to say ${rows} ${cols}`,
        async () => (await lines()).includes(`${rows} ${cols}`),
        15_000,
        100,
      );
      await p.setViewportSize({ width: 1280, height: 800 });

      await typeLine('exit 3');
      await status.getByText('Exited with code 3.').waitFor({ timeout: 15_000 });
      // The status line can change before xterm.js has drawn the last output (it draws on a frame).
      await waitFor(
        'the exit line in the terminal',
        async () => (await lines()).some((l) => l.includes('[exited with code 3]')),
        5_000,
        100,
      );

      // Connected again, then the dialog closes: the stream ends (the shell is killed) and says so.
      await dialog.getByRole('button', { name: 'Connect' }).click();
      await status.getByText(/^Connected to /).waitFor({ timeout: 15_000 });
    } finally {
      await dialog.getByRole('button', { name: 'Close' }).click();
    }
    await waitFor(
      'the closed terminal audited as the client leaving',
      async () => {
        const audit = await corral.client.page<{ action: string; outcome: string }>('/audit', {
          action: 'STREAM',
          limit: 20,
        });
        return audit.items.some((e) => e.action.endsWith('exec/stream end') && e.outcome === 'client left');
      },
      5_000,
      100,
    );
  });

  it('follows the log: a line written in the container shows within 2 s', async () => {
    const p = admin.page;
    await p.getByRole('button', { name: `Logs of ${name}`, exact: true }).click();
    const dialog = p.getByRole('dialog', { name: `Logs of ${name}` });
    try {
      await dialog
        .getByRole('status')
        .getByText(/^Following/)
        .waitFor({ timeout: 15_000 });
      const line = `web-log-line-${corral.tag}-${Date.now()}`;
      // What PID 1 writes to its stdout is the container's log.
      await sh('docker', ['exec', name, 'sh', '-c', `echo ${line} > /proc/1/fd/1`]);
      const written = Date.now();
      await dialog
        .getByRole('log', { name: `Log of ${name}` })
        .getByText(line)
        .waitFor({ timeout: 5_000 });
      const elapsed = Date.now() - written;
      console.log(`web: a line written in the container showed in the log view after ${elapsed} ms`);
      expect(elapsed, `log line shown after ${elapsed} ms`).toBeLessThanOrEqual(2_000);
      await screenshot(p, 'logs');
      await expectA11y(admin, 'logs dialog');
    } finally {
      await dialog.getByRole('button', { name: 'Close' }).click();
    }
  });

  it('cordons, uncordons and labels the host from its page', async () => {
    const p = admin.page;
    await p.getByRole('button', { name: 'Cordon', exact: true }).click();
    await p.getByText('cordoned', { exact: true }).waitFor();
    expect((await corral.client.host(corral.hostId)).cordoned).toBe(true);
    await p.getByRole('button', { name: 'Uncordon', exact: true }).click();
    await p.getByRole('button', { name: 'Cordon', exact: true }).waitFor();
    expect((await corral.client.host(corral.hostId)).cordoned).toBe(false);
    await p.getByRole('button', { name: 'Edit labels' }).click();
    const dialog = p.getByRole('dialog', { name: `Labels of ${corral.hostname}` });
    await dialog.getByLabel('API labels, key=value, one a line').fill('zone=web-e2e');
    await dialog.getByRole('button', { name: 'Save labels' }).click();
    await p.getByText('zone=web-e2e').first().waitFor();
    expect((await corral.client.host(corral.hostId)).labels).toEqual({ zone: 'web-e2e' });
  });

  it('explains a placement before placing it, then places it', async () => {
    const p = admin.page;
    await p.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Fleet', exact: true }).click();
    await p.getByRole('button', { name: 'Create container' }).click();
    const dialog = p.getByRole('dialog', { name: 'Create a container' });
    try {
      await dialog.getByLabel('Name').fill(placed);
      await dialog.getByLabel('Image').fill(TEST_IMAGE);
      await dialog.getByLabel('Command').fill('sleep 600');
      await dialog.getByLabel('Host labels required (key=value, one a line)').fill('zone=web-e2e');
      expect(await dialog.getByRole('button', { name: 'Place', exact: true }).isDisabled()).toBe(true);
      await dialog.getByRole('button', { name: 'Explain placement' }).click();
      const explanation = dialog.getByRole('region', { name: 'Placement explanation' });
      await explanation.getByText(`replica 1: ${corral.hostname}`).waitFor();
      await screenshot(p, 'placement');
      await expectA11y(admin, 'placement dialog');
      await dialog.getByRole('button', { name: 'Place', exact: true }).click();
      await waitFor(
        'placed container exists',
        async () => {
          const out = await sh('docker', ['ps', '-a', '--filter', `name=^${placed}$`, '--format', '{{.Names}}']);
          return out.trim() === placed;
        },
        60_000,
        250,
      );
    } finally {
      if (await dialog.isVisible()) await p.keyboard.press('Escape');
    }
  });

  it('passes axe on every page, in both themes and at phone width, and saves a screenshot of each', async () => {
    const p = admin.page;
    const visit = async (link: string, heading: string, shot: string) => {
      await p.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: link, exact: true }).click();
      await p.getByRole('heading', { name: heading, level: 1 }).waitFor();
      // The page's data arrived (the event stream keeps the network busy, so no networkidle).
      await p.getByText('Loading…').waitFor({ state: 'detached' });
      await screenshot(p, shot);
      await expectA11y(admin, shot);
    };
    await visit('Containers', 'Containers', 'containers');
    await p.locator(`tr[data-container="${name}"]`).waitFor();
    await p.getByLabel('Name contains').fill(name);
    await p.getByRole('button', { name: 'Apply filters' }).click();
    await p.getByRole('button', { name: 'Next page' }).waitFor();
    await visit('Address lookup', 'Address lookup', 'address');
    const ip = JSON.parse(await sh('docker', ['inspect', name]))[0].NetworkSettings.IPAddress as string;
    await p.getByLabel('IP or MAC address').fill(ip);
    await p.getByRole('button', { name: 'Look up' }).click();
    await p.getByRole('cell', { name, exact: true }).waitFor();
    await screenshot(p, 'address');
    // A recorded one-shot exec (the terminal makes none), to show its output on the Commands page.
    const exec = await corral.client.op('container.exec', name, { command: ['echo', 'hi'] }, { wait: 30 });
    expect(exec.status).toBe('succeeded');
    await visit('Commands', 'Commands', 'commands');
    await p.getByRole('link', { name: 'container.exec' }).first().click();
    await p.getByRole('heading', { name: /container\.exec/, level: 2 }).waitFor();
    await p.getByRole('log', { name: 'Command output' }).getByText('hi').waitFor();
    await screenshot(p, 'command');
    await expectA11y(admin, 'command');
    await visit('Events', 'Events', 'events');
    await visit('Tokens', 'API tokens', 'tokens');
    await visit('Enrollment tokens', 'Enrollment tokens', 'enrollment-tokens');
    await visit('Audit', 'Audit', 'audit');
    await p.getByRole('button', { name: 'Use the dark theme' }).click();
    await visit('Fleet', 'Fleet', 'fleet-dark');
    await p.getByRole('button', { name: 'Use the light theme' }).click();
    await p.setViewportSize({ width: 390, height: 844 });
    await visit('Fleet', 'Fleet', 'fleet-phone');
    const width = await p.evaluate<number>('document.documentElement.scrollWidth');
    expect(width, 'the page itself does not scroll sideways on a phone').toBeLessThanOrEqual(390);
    await p.setViewportSize({ width: 1280, height: 800 });
  });

  it('finds a container, an image and an IP from the one search box', async () => {
    const p = admin.page;
    await p.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Fleet', exact: true }).click();
    const box = p.getByLabel('Search hosts, containers, images, IPs, MACs');
    await box.fill(name);
    await p.getByRole('region', { name: 'Search results' }).getByText(name).waitFor();
    await box.fill('corral-test/busybox');
    await p
      .getByRole('region', { name: 'Search results' })
      .getByText(/corral-test\/busybox/)
      .first()
      .waitFor();
    const ip = JSON.parse(await sh('docker', ['inspect', name]))[0].NetworkSettings.IPAddress as string;
    await box.fill(ip);
    await p.getByRole('region', { name: 'Search results' }).getByText(name).waitFor();
    await screenshot(p, 'search');
    await box.fill('');
  });

  it('shows a viewer no action controls, and the server refuses them anyway', async () => {
    const viewer = await corral.client.createToken({ name: 'web viewer', role: 'viewer' });
    const b = await openBrowser();
    try {
      await signIn(b, viewer.secret);
      await b.page.locator(`tr[data-host="${corral.hostname}"] a`).click();
      await b.page.locator(`tr[data-container="${name}"]`).waitFor();
      for (const label of ['Stop', 'Start', 'Restart', 'Exec', 'Remove', 'Cordon', 'Drain', 'Edit labels']) {
        expect(await b.page.getByRole('button', { name: new RegExp(`^${label}\\b`) }).count(), label).toBe(0);
      }
      // Reading the log is a viewer's right.
      expect(await b.page.getByRole('button', { name: `Logs of ${name}`, exact: true }).count()).toBe(1);
      await b.page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Fleet', exact: true }).click();
      await b.page.locator(`tr[data-host="${corral.hostname}"]`).waitFor();
      expect(await b.page.getByRole('button', { name: 'Create container' }).count()).toBe(0);
      expect(await b.page.getByRole('link', { name: 'Tokens' }).count()).toBe(0);
      // The page's own session, with its CSRF token, asking anyway.
      const status = await b.page.evaluate<number>(
        `fetch('/api/v1/session').then((r) => r.json()).then((s) =>
          fetch('/api/v1/containers/${name}/stop', {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-corral-csrf': s.csrfToken },
            body: '{}',
          })).then((r) => r.status)`,
      );
      expect(status).toBe(403);
      expect(await inspectRunning()).toBe(true);
      await screenshot(b.page, 'viewer-fleet');
    } finally {
      await b.close();
    }
  });

  it('refuses a form posted from another site', async () => {
    const before = await inspectRunning();
    // A page on another site (localhost is another site than 127.0.0.1) posts a form to the
    // controller as soon as it loads, as a cross-site attack would.
    const target = `${corral.base}/api/v1/containers/${name}/stop`;
    const attacker = createServer((_req, res) => {
      res.setHeader('content-type', 'text/html');
      res.end(
        `<form id="f" method="POST" action="${target}"><input name="x" value="1"></form>` +
          `<script>document.getElementById('f').submit()</script>`,
      );
    });
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
    const port = (attacker.address() as AddressInfo).port;
    const page = await admin.context.newPage();
    try {
      const answered = page.waitForResponse((r) => r.url() === target, { timeout: 20_000 });
      await page.goto(`http://localhost:${port}/`);
      const response = await answered;
      expect(response.status()).toBeGreaterThanOrEqual(400);
      expect(response.request().headers().cookie ?? '').not.toContain('corral_session');
    } finally {
      await page.close();
      attacker.close();
    }
    expect(await inspectRunning()).toBe(before);
  });

  it('refuses the exec stream to a page of another origin, though the browser sends it the cookie', async () => {
    // Another port of 127.0.0.1 is another origin but the same site: SameSite=Strict lets the
    // session cookie go along with its WebSocket, so only the Origin check stands in the way.
    const marker = `/tmp/corral-cswsh-${corral.tag}`;
    const target = `${corral.base.replace(/^http/, 'ws')}/api/v1/containers/${name}/exec/stream`;
    const start = JSON.stringify({ type: 'exec.start', command: ['touch', marker] });
    const attacker = createServer((_req, res) => {
      res.setHeader('content-type', 'text/html');
      res.end(
        `<script>const ws = new WebSocket(${JSON.stringify(target)});` +
          `ws.onopen = () => { ws.send(${JSON.stringify(start)}); document.title = 'opened'; };` +
          `ws.onclose = (e) => { if (document.title !== 'opened') document.title = 'refused ' + e.code; };</script>`,
      );
    });
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}`;
    const page = await admin.context.newPage();
    try {
      await page.goto(`${origin}/`);
      await waitFor('the page to learn the outcome', async () => (await page.title()) !== '', 10_000, 50);
      expect(await page.title()).toBe('refused 1006');
    } finally {
      await page.close();
      attacker.close();
    }
    // The controller saw the cookie and refused the origin (not a missing token).
    const audit = await corral.client.page<{ outcome: string; statusCode: number; detail: { reason?: string } }>(
      '/audit',
      { action: 'STREAM', limit: 20 },
    );
    const refused = audit.items.find((e) => e.outcome === 'denied' && e.detail.reason?.includes(origin));
    expect(refused?.statusCode, JSON.stringify(audit.items.slice(0, 3))).toBe(403);
    await expect(sh('docker', ['exec', name, 'test', '-e', marker])).rejects.toThrow();
  });

  it('signs out, and the API refuses the old cookie', async () => {
    const cookie = (await admin.context.cookies()).find((c) => c.name === 'corral_session')!.value;
    const ok = await fetch(`${corral.base}/api/v1/hosts`, { headers: { cookie: `corral_session=${cookie}` } });
    expect(ok.status).toBe(200);
    await admin.page.getByRole('button', { name: 'Sign out' }).click();
    await admin.page.getByLabel('API token').waitFor();
    const refused = await fetch(`${corral.base}/api/v1/hosts`, { headers: { cookie: `corral_session=${cookie}` } });
    expect(refused.status).toBe(401);
  });

  it('turns a host offline on the open page when its agent stops', async () => {
    await signIn(admin, corral.adminToken);
    const row = admin.page.locator(`tr[data-host="${corral.hostname}"]`);
    await row.getByText('online').waitFor();
    await corral.agent.kill('SIGKILL');
    const killed = Date.now();
    await row.getByText('offline').waitFor({ timeout: GRACE_MS * 3 });
    const elapsed = Date.now() - killed;
    // The controller marks it after the grace (swept every grace/4); the page follows at once.
    console.log(`web: the host showed offline ${elapsed} ms after its agent was killed (grace ${GRACE_MS} ms)`);
    expect(elapsed, `offline shown after ${elapsed} ms`).toBeLessThanOrEqual(GRACE_MS * 1.25 + 1_500);
    await screenshot(admin.page, 'fleet-offline');
  });
});
