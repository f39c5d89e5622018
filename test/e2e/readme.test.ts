import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectEngines, sh } from '../support/engines.js';
import { killLeftovers, type NpmStart, npmStart } from '../support/npm-start.js';
import { REPO_ROOT } from '../support/processes.js';

// The shell examples of README.md marked `<!-- example -->`, in order.
function readmeExamples(markdown: string): string[] {
  return [...markdown.matchAll(/<!-- example -->\n```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

// The lines `npm start` printed under "try": the quick start's commands.
function tryLines(output: string[]): string[] {
  const lines = output.filter((l) => l !== '');
  const first = lines.findIndex((l) => l.startsWith('[start]   try'));
  if (first < 0) throw new Error(`npm start printed no "try" lines:\n${lines.join('\n')}`);
  const out: string[] = [];
  for (const line of lines.slice(first)) {
    if (!line.startsWith('[start]   ') || line.includes('Press Ctrl-C')) break;
    out.push(line.replace(/^\[start\]\s+(try\s+)?/, ''));
  }
  return out;
}

interface Call {
  status: number;
  method: string;
  url: string;
}

// What README.md shows, run as written against a fresh `npm start` on this machine. Only what would
// collide on a shared machine changes: the port, and the names of the image and containers made.
describe('README examples', () => {
  let dir = '';
  let run: NpmStart | null = null;
  const tag = randomBytes(3).toString('hex');
  const token = `crl_api_${randomBytes(24).toString('base64url')}`;
  const image = `corral-test/readme-${tag}`;
  const hello = `corral-test-readme-${tag}-hello`;
  const web = `corral-test-readme-${tag}-web`;
  let script = '';
  let result: { status: number | null; stdout: string; stderr: string; calls: Call[] };

  const api = async <T>(pathname: string): Promise<T> => {
    const get = () =>
      fetch(`http://127.0.0.1:${run!.port}${pathname}`, { headers: { authorization: `Bearer ${token}` } });
    // The script runs under spawnSync, which blocks this process: a pooled keep-alive connection the
    // controller closed meanwhile fails the first request on it, so that one is tried once more.
    const res = await get().catch((err: Error & { cause?: { code?: string } }) => {
      if (err.cause?.code !== 'UND_ERR_SOCKET') throw err;
      return get();
    });
    expect(res.status).toBe(200);
    return (await res.json()) as T;
  };

  beforeAll(async () => {
    await detectEngines();
    dir = await mkdtemp(path.join(os.tmpdir(), 'corral-readme-'));
    const examples = readmeExamples(await readFile(path.join(REPO_ROOT, 'README.md'), 'utf8'));
    run = await npmStart(dir, token);
    const substitutions: [string | RegExp, string][] = [
      [/localhost:7070/g, `localhost:${run.port}`],
      [/busybox:latest/g, `${image}:latest`],
      [/"image": "busybox"/g, `"image": "${image}"`],
      [/"name": "hello"/g, `"name": "${hello}"`],
      [/name=hello/g, `name=${hello}`],
      [/"name": "web"/g, `"name": "${web}"`],
    ];
    let body = [...tryLines(run.output), ...examples].join('\n');
    for (const [from, to] of substitutions) {
      // A substitution that no longer matches means the README changed: say so rather than run something else.
      expect(body.match(from), `README examples no longer contain ${from}`).not.toBeNull();
      body = body.replace(from, to);
    }
    // Every curl reports its status on stderr; the examples themselves stay as written.
    script = [
      'set -euo pipefail',
      `curl() { command curl --write-out '%{stderr}HTTP %{http_code} %{method} %{url_effective}\\n' "$@"; }`,
      body,
    ].join('\n');
    const r = spawnSync('bash', ['-c', script], {
      cwd: dir,
      env: { ...process.env, CORRAL_ADMIN_TOKEN: token },
      encoding: 'utf8',
      timeout: 300_000,
    });
    const calls = [...r.stderr.matchAll(/^HTTP (\d{3}) (\S+) (\S+)$/gm)].map((m) => ({
      status: Number(m[1]),
      method: m[2]!,
      url: m[3]!,
    }));
    result = { status: r.status, stdout: r.stdout, stderr: r.stderr, calls };
  }, 420_000);

  afterAll(async () => {
    if (run) {
      process.kill(run.npm.pid!, 'SIGINT');
      await Promise.race([run.exited, new Promise((resolve) => setTimeout(resolve, 60_000))]);
      killLeftovers(run);
    }
    await sh('docker', ['rm', '-f', hello, `${web}-1`, `${web}-2`]).catch(() => undefined);
    await sh('docker', ['rmi', `${image}:latest`]).catch(() => undefined);
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 120_000);

  it('runs every example to the end', () => {
    expect(result.status, `stderr:\n${result.stderr}\nscript:\n${script}`).toBe(0);
    // Each curl of the quick start and the examples was made.
    expect(result.calls.length).toBe((script.match(/^\s*(\S+=\$\()?curl /gm) ?? []).length);
  });

  it('gets a success for every call but the dry run that fits nowhere, which answers 409', () => {
    const failed = result.calls.filter((c) => c.status >= 400);
    expect(failed).toEqual([
      expect.objectContaining({ status: 409, method: 'POST', url: expect.stringContaining('dryRun=true') }),
    ]);
    expect(result.stdout).toContain('"error":"conflict"');
    expect(result.stdout).toContain('no container would be placed');
  });

  it('answers the quick start with the fleet summary and the first containers', () => {
    const summary = result.calls.find((c) => c.url.endsWith('/api/v1/fleet/summary'));
    expect(summary?.status).toBe(200);
    expect(result.calls.some((c) => c.url.includes('/api/v1/containers?limit=20') && c.status === 200)).toBe(true);
  });

  it('revoked the grafana token it made', async () => {
    const tokens = await api<{ items: { name: string; revokedAt: string | null }[] }>('/api/v1/tokens');
    const grafana = tokens.items.filter((t) => t.name === 'grafana');
    expect(grafana).toHaveLength(1);
    expect(grafana[0]?.revokedAt).not.toBeNull();
  });

  it('imported the busybox image and ran a command in a container made from it', async () => {
    const images = await api<{ items: { tags: string[] }[] }>(`/api/v1/images?name=${encodeURIComponent(image)}`);
    expect(images.items.flatMap((i) => i.tags)).toContain(`${image}:latest`);
    const containers = await api<{ items: { name: string; state: string }[] }>(`/api/v1/containers?name=${hello}`);
    expect(containers.items).toEqual([expect.objectContaining({ name: hello, state: 'running' })]);
    // `ip -4 addr` inside it lists the loopback address.
    expect(result.stdout).toContain('inet 127.0.0.1');
  });

  it('placed one replica of the group on the one host and said why not the second', async () => {
    const containers = await api<{ items: { name: string; state: string }[] }>(`/api/v1/containers?name=${web}`);
    expect(containers.items.map((c) => [c.name, c.state])).toEqual([[`${web}-1`, 'running']]);
    const placements = await api<{ items: { outcome: string; dryRun: boolean }[] }>('/api/v1/placements');
    expect(placements.items.map((p) => [p.outcome, p.dryRun])).toEqual([
      ['dry_run', true],
      ['partial', false],
    ]);
  });
});
