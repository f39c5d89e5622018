import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CorralClient } from '@corral/client';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFleet, FLEET_IMAGE, type Fleet, FleetApi, type FleetHost } from '../fleet/index.js';
import { checkFleetPrereqs } from '../fleet/prereqs.js';
import { run, until } from '../fleet/run.js';
import { runCli } from '../support/cli.js';
import { ADMIN_URL, createTestDatabase, type TestDatabase } from '../support/database.js';

const prereqs = await checkFleetPrereqs();
const tag = `i${randomBytes(3).toString('hex')}`;
const MiB = 1024 * 1024;
// The big image: a layer of random data (incompressible), well past 200 MiB.
const BIG_BYTES = 210 * MiB;

interface ApiImage {
  id: string;
  hostId: string;
  hostname: string;
  engineId: string;
  tags: string[];
  repoDigests?: string[] | null;
  sizeBytes: number;
  origin: {
    kind: string;
    digest: string | null;
    fromHostId: string | null;
    fromHostname: string | null;
    fromImage: string | null;
    uploadId: string | null;
    container: string | null;
    requestedBy: string | null;
    at: string | null;
    source: Record<string, unknown> | null;
  };
}

interface ApiCommand {
  id: string;
  status: string;
  output?: string | null;
  result: Record<string, unknown> | null;
  error: { code: string; message: string } | null;
}

async function rssBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) * 1024;
}

// Save, load, copy and commit across two netns hosts with their own dockerds, and the origin the
// controller keeps for each image.
describe.skipIf(!prereqs.ok)('images across the fleet: save, load, copy, commit, origins', () => {
  let db: TestDatabase;
  let fleet: Fleet;
  let api: FleetApi;
  let client: CorralClient;
  let h1: FleetHost;
  let h2: FleetHost;
  let dir: string;
  const ref = (what: string) => `corral-test/${tag}-${what}:1`;
  const name = (what: string) => `corral-test-${tag}-${what}`;

  const images = (query: string) => api.all<ApiImage>(`/api/v1/images?${query}`);
  const imageOn = (host: FleetHost, reference: string) =>
    until(
      `${reference} on ${host.name} in the API`,
      async () =>
        (await images(`host=${host.name}&name=${encodeURIComponent(reference)}`)).find((i) =>
          i.tags.includes(reference),
        ),
      30_000,
      200,
    );
  // An image first seen outside Corral: its sighting is written just after the inventory shows it.
  const sightedOn = (host: FleetHost, reference: string) =>
    until(
      `the first sighting of ${reference} on ${host.name} recorded`,
      async () => {
        const image = await imageOn(host, reference);
        return image.origin.at === null ? undefined : image;
      },
      10_000,
      100,
    );
  const engineIdOn = async (host: FleetHost, reference: string) =>
    (await host.docker(['image', 'inspect', '--format', '{{.Id}}', reference])).trim();
  const finished = async (id: string): Promise<ApiCommand> => {
    for (;;) {
      // FleetApi's reads give up after 10 s: wait less than that each time.
      const command = (await api.command(id, 8)) as unknown as ApiCommand;
      if (['succeeded', 'failed', 'canceled', 'timed_out'].includes(command.status)) return command;
    }
  };
  // An image made by hand on a host: FLEET_IMAGE plus a file written by `script`.
  const handMade = async (host: FleetHost, what: string, script: string) => {
    await host.docker(['run', '--name', name(what), FLEET_IMAGE, 'sh', '-c', script], 300_000);
    await host.docker(['commit', name(what), ref(what)], 300_000);
    await host.docker(['rm', name(what)]);
  };
  const copy = async (image: string, to: FleetHost[]) => {
    const answer = await api.post<{ copies: { hostname: string; command: ApiCommand }[] }>(
      `/api/v1/images/${encodeURIComponent(image)}/copy`,
      { toHosts: to.map((h) => h.name) },
    );
    expect(answer.status).toBe(202);
    return answer.body.copies;
  };

  beforeAll(async () => {
    db = await createTestDatabase('corral_images');
    dir = await mkdtemp(path.join(os.tmpdir(), 'corral-images-'));
    fleet = await createFleet({
      hosts: 2,
      dockerHosts: 2,
      tag,
      startController: {
        databaseUrl: db.url,
        dropDatabase: { adminUrl: ADMIN_URL, name: db.name },
        env: { CORRAL_HEARTBEAT_INTERVAL_MS: '1000', CORRAL_LOG_LEVEL: 'warn' },
      },
    });
    api = new FleetApi(fleet.apiUrl);
    client = new CorralClient({ baseUrl: fleet.apiUrl, token: api.headers.authorization?.slice('Bearer '.length) });
    [h1, h2] = fleet.hosts as [FleetHost, FleetHost];
    for (const host of fleet.hosts) {
      await until(`${host.name} online`, async () => (await api.host(host.name))?.status === 'online', 60_000);
    }
    await Promise.all([
      handMade(h1, 'a', 'echo a > /a.txt'),
      handMade(h1, 'big', `head -c ${BIG_BYTES} /dev/urandom > /big`),
      handMade(h1, 'd', 'echo d > /d.txt'),
      handMade(h1, 'e', 'echo e > /e.txt'),
    ]);
  });

  afterAll(async () => {
    if (fleet) {
      const report = await fleet.destroy();
      expect(report.problems).toEqual([]);
    } else {
      await db?.drop();
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('saves an image through the API and loads it on another host: tags and id equal', async () => {
    const a = await sightedOn(h1, ref('a'));
    expect(a.origin).toMatchObject({ kind: 'unknown' });
    expect(Date.parse(a.origin.at as string)).toBeLessThanOrEqual(Date.now());
    const file = path.join(dir, 'a.tar');
    const { body } = await client.download(`/images/${a.id}/save`);
    await pipeline(Readable.fromWeb(body as never), createWriteStream(file));
    expect(await run('tar', ['-tf', file])).toContain('manifest.json');

    const upload = Readable.toWeb(createReadStream(file)) as ReadableStream<Uint8Array>;
    const load = await client.upload('image.load', h2.name, upload, {}, { contentType: 'application/x-tar' });
    const done = await finished(load.id);
    expect(done.error).toBeNull();
    expect(done.result).toMatchObject({ id: a.engineId, tags: [ref('a')] });
    expect(await engineIdOn(h2, ref('a'))).toBe(a.engineId);
    const loaded = await imageOn(h2, ref('a'));
    expect(loaded.engineId).toBe(a.engineId);
    expect(loaded.tags).toEqual(a.tags);
    expect(loaded.origin).toMatchObject({ kind: 'loaded', uploadId: expect.any(String) });
    expect(loaded.origin.requestedBy).toMatch(/^token:/);
  });

  it('copies an image of 200 MiB or more host to host; the controller RSS grows less than 64 MiB', async () => {
    const big = await imageOn(h1, ref('big'));
    expect(big.sizeBytes).toBeGreaterThanOrEqual(200 * MiB);
    const pid = fleet.controller!.pid!;
    const before = await rssBytes(pid);
    let peak = before;
    const sampler = setInterval(() => {
      rssBytes(pid).then(
        (rss) => {
          peak = Math.max(peak, rss);
        },
        () => undefined,
      );
    }, 50);
    const started = Date.now();
    let done: ApiCommand;
    try {
      const [copy1] = await copy(big.id, [h2]);
      expect(copy1!.hostname).toBe(h2.name);
      done = await finished(copy1!.command.id);
    } finally {
      clearInterval(sampler);
    }
    const seconds = (Date.now() - started) / 1000;
    console.log(
      `copy of ${(big.sizeBytes / MiB).toFixed(0)} MiB in ${seconds.toFixed(1)} s; controller RSS ${(before / MiB).toFixed(0)} -> peak ${(peak / MiB).toFixed(0)} MiB`,
    );
    expect(done.error).toBeNull();
    expect(done.status).toBe('succeeded');
    expect(done.result).toMatchObject({ id: big.engineId });
    expect(done.output ?? '').toContain('"progress":"copy"');
    expect(peak - before).toBeLessThan(64 * MiB);
    expect(await engineIdOn(h2, ref('big'))).toBe(big.engineId);

    const created = (await client.op(
      'container.create',
      h2.name,
      {
        runtime: 'docker',
        image: ref('big'),
        name: name('big-run'),
        command: ['sh', '-c', 'test -s /big && sleep 600'],
      },
      { wait: 60 },
    )) as unknown as ApiCommand;
    expect(created.error).toBeNull();
    await until(
      'the container from the copied image runs',
      async () => (await h2.dockerList()).find((c) => c.name === name('big-run') && c.state === 'running'),
      30_000,
      200,
    );
    const copied = await imageOn(h2, ref('big'));
    expect(copied.origin).toMatchObject({
      kind: 'copied',
      fromHostId: big.hostId,
      fromHostname: h1.name,
      fromImage: big.engineId,
    });
  });

  it('commits a container, copies the image to another host and runs it there', async () => {
    const created = (await client.op(
      'container.create',
      h1.name,
      {
        runtime: 'docker',
        image: FLEET_IMAGE,
        name: name('c'),
        command: ['sh', '-c', 'echo committed > /c.txt; sleep 600'],
      },
      { wait: 60 },
    )) as unknown as ApiCommand;
    expect(created.error).toBeNull();
    const containerId = created.result!.containerId as string;
    await until(
      'c.txt written',
      async () => (await h1.docker(['exec', name('c'), 'cat', '/c.txt'])).includes('committed'),
      20_000,
      200,
    );
    const commit = (await client.op(
      'container.commit',
      containerId,
      { reference: ref('c'), message: 'e2e', changes: ['CMD ["cat", "/c.txt"]'] },
      { wait: 60 },
    )) as unknown as ApiCommand;
    expect(commit.error).toBeNull();
    expect(commit.status).toBe('succeeded');
    const imageId = commit.result!.imageId as string;
    expect(imageId).toMatch(/^[0-9a-f-]{36}$/);
    const committed = await imageOn(h1, ref('c'));
    expect(committed.origin).toMatchObject({ kind: 'committed', container: expect.stringMatching(/^[0-9a-f]{64}$/) });

    const [copy1] = await copy(imageId, [h2]);
    const done = await finished(copy1!.command.id);
    expect(done.error).toBeNull();
    expect(await engineIdOn(h2, ref('c'))).toBe(committed.engineId);
    // Its CMD came with it: the container prints what the committed file holds.
    const run2 = (await client.op(
      'container.create',
      h2.name,
      { runtime: 'docker', image: ref('c'), name: name('c-run') },
      { wait: 60 },
    )) as unknown as ApiCommand;
    expect(run2.error).toBeNull();
    await until(
      'the committed image ran on h2',
      async () => (await h2.docker(['logs', name('c-run')])).includes('committed'),
      20_000,
      200,
    );
    const there = await imageOn(h2, ref('c'));
    expect(there.origin).toMatchObject({ kind: 'copied', fromHostname: h1.name, source: { kind: 'committed' } });
  });

  it('shows an image loaded by hand with docker load as unknown, and filters by origin', async () => {
    const file = path.join(dir, 'd.tar');
    await h1.docker(['save', '-o', file, ref('d')], 120_000);
    await h2.docker(['load', '-i', file], 120_000);
    const d = await sightedOn(h2, ref('d'));
    expect(d.origin.kind).toBe('unknown');
    expect(Date.parse(d.origin.at as string)).toBeLessThanOrEqual(Date.now());
    await h2.docker(['run', '-d', '--name', name('d-run'), ref('d'), 'sleep', '600']);

    const byOrigin = async (origin: string) =>
      (await images(`host=${h2.name}&origin=${origin}`)).flatMap((i) => i.tags).filter((t) => t.includes(tag));
    expect(await byOrigin('unknown')).toEqual([ref('d')]);
    expect(await byOrigin('loaded')).toEqual([ref('a')]);
    expect((await byOrigin('copied')).sort()).toEqual([ref('big'), ref('c')].sort());
    expect(await byOrigin('pulled')).toEqual([]);

    const containers = async (origin: string) =>
      (
        await until(
          `containers of ${origin} images`,
          async () => {
            const list = await api.all<{ name: string }>(`/api/v1/containers?host=${h2.name}&imageOrigin=${origin}`);
            return list.some((c) => c.name === name('d-run')) || origin !== 'unknown' ? list : undefined;
          },
          20_000,
          200,
        )
      ).map((c) => c.name);
    expect(await containers('unknown')).toContain(name('d-run'));
    expect(await containers('unknown')).not.toContain(name('big-run'));
    expect(await containers('copied')).toEqual(expect.arrayContaining([name('big-run'), name('c-run')]));
    expect(await containers('copied')).not.toContain(name('d-run'));

    const bad = await client.request('GET', '/api/v1/images?origin=stolen');
    expect(bad.status).toBe(400);
  });

  it('keeps a copy of a pulled image traceable to its registry digest, across agent restarts', async () => {
    // No registry here: h1's image "a" is recorded as pulled, as image.pull's result would make it.
    const digest = `sha256:${'d1'.repeat(32)}`;
    const a = await imageOn(h1, ref('a'));
    const sql = new pg.Client({ connectionString: db.url });
    await sql.connect();
    try {
      await sql.query(
        `UPDATE "ImageOrigin" SET kind = 'pulled', registry = 'registry.test:5000', reference = $3, digest = $4
         WHERE "hostId" = $1 AND "engineId" = $2`,
        [a.hostId, a.engineId, `registry.test:5000/${ref('a')}`, digest],
      );
    } finally {
      await sql.end();
    }
    const [copy1] = await copy(a.id, [h2]);
    expect((await finished(copy1!.command.id)).error).toBeNull();
    const holders = await images(`digest=${digest}`);
    expect(holders.map((i) => i.hostname).sort()).toEqual([h1.name, h2.name].sort());
    expect(holders.find((i) => i.hostname === h2.name)?.origin).toMatchObject({
      kind: 'copied',
      digest,
      source: { kind: 'pulled', digest },
    });

    await h2.restartAgent();
    await until(`${h2.name} back`, async () => (await api.host(h2.name))?.status === 'online', 60_000, 200);
    await api.post(`/api/v1/hosts/${h2.name}/refresh?wait=30`);
    expect((await imageOn(h2, ref('a'))).origin).toMatchObject({ kind: 'copied', digest });
    expect((await imageOn(h2, ref('d'))).origin.kind).toBe('unknown');
  });

  it('does the same with the corral command line: commit, images copy, save and load', async () => {
    const home = await mkdtemp(path.join(dir, 'home-'));
    const env = {
      HOME: home,
      XDG_CONFIG_HOME: '',
      CORRAL_URL: fleet.apiUrl,
      CORRAL_TOKEN: api.headers.authorization!.slice('Bearer '.length),
    };
    const ok = async (args: string[]) => {
      const r = await runCli(args, env, { timeoutMs: 180_000 });
      if (r.code !== 0) throw new Error(`corral ${args.join(' ')} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
      return r.stdout.trim();
    };
    // The container the commit test left running on h1.
    const imageId = await ok(['commit', name('c'), ref('cli'), '-m', 'from the cli', '-c', 'ENV FROM_CLI=1']);
    expect(imageId).toMatch(/^[0-9a-f-]{36}$/);
    expect(await h1.docker(['image', 'inspect', '--format', '{{.Config.Env}}', ref('cli')])).toContain('FROM_CLI=1');
    expect(await ok(['images', 'copy', imageId, '--to', h2.name])).toMatch(/^[0-9a-f-]{36}$/);
    expect(await engineIdOn(h2, ref('cli'))).toBe(await engineIdOn(h1, ref('cli')));

    const e = await imageOn(h1, ref('e'));
    const file = path.join(dir, 'e-cli.tar');
    await ok(['images', 'save', e.id, '-o', file]);
    expect(await run('tar', ['-tf', file])).toContain('manifest.json');
    expect(await ok(['images', 'load', '-i', file, '--host', h2.name])).toMatch(/^[0-9a-f-]{36}$/);
    expect(await engineIdOn(h2, ref('e'))).toBe(e.engineId);
    expect((await imageOn(h2, ref('e'))).origin.kind).toBe('loaded');
  });
});
