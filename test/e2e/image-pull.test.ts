import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { type ApiCommand, Corral } from '../support/corral.js';
import { sh } from '../support/engines.js';
import {
  PULL_REPOSITORY,
  PULL_TAG,
  REGISTRY_AUTH,
  REGISTRY_OPEN,
  REGISTRY_PASSWORD,
  REGISTRY_USER,
} from '../support/registry.js';
import { SseClient } from '../support/sse.js';

// Pulls through the API from the real registry scripts/engines-up.sh runs (docker-registry 2.8 on
// 10.251.255.1), onto this machine's dockerd; docker's own view is what the assertions read.
describe('images: registries, pull, creates that pull, image policy', () => {
  const corral = new Corral();
  const open = `${REGISTRY_OPEN}/${PULL_REPOSITORY}:${PULL_TAG}`;
  const authed = `${REGISTRY_AUTH}/${PULL_REPOSITORY}:${PULL_TAG}`;
  const wrongPassword = `wrong-${REGISTRY_PASSWORD}-x9`;
  const cliSecret = `cli-secret-${corral.tag}-4f2a`;
  const containers = [
    `corral-test-pulled-${corral.tag}`,
    `corral-test-never-${corral.tag}`,
    `corral-test-bad-${corral.tag}`,
    `corral-test-hand-${corral.tag}`,
  ];
  // An image that reaches the host by hand (docker load), outside Corral.
  const handMade = `corral-test/hand-${corral.tag}:1`;
  let events: SseClient;
  let digest = '';

  const pull = (body: Record<string, unknown>, expected = 'succeeded') =>
    corral.command('POST', `/api/v1/hosts/${corral.hostId}/images/pull`, body, expected);
  const localImage = async (ref: string) =>
    sh('docker', ['image', 'inspect', '--format', '{{.Id}}', ref]).then(
      (id) => id,
      () => null,
    );
  const removeLocal = async () => {
    for (const ref of [open, authed, `${REGISTRY_OPEN}/${PULL_REPOSITORY}`, `${REGISTRY_AUTH}/${PULL_REPOSITORY}`]) {
      const ids = await sh('docker', ['images', '-q', '--no-trunc', ref]).catch(() => '');
      for (const id of new Set(ids.split('\n').filter(Boolean))) await sh('docker', ['rmi', '-f', id]).catch(() => {});
    }
  };
  const repoImages = async () =>
    sh('docker', ['images', '--format', '{{.Repository}}:{{.Tag}}', '--filter', `reference=*/${PULL_REPOSITORY}`]);

  beforeAll(async () => {
    await removeLocal();
    await corral.start();
    events = await SseClient.open(`${corral.base}/api/v1/events`, { authorization: `Bearer ${corral.adminToken}` });
  }, 120_000);

  afterAll(async () => {
    events?.close();
    for (const c of containers) await sh('docker', ['rm', '-f', c]).catch(() => {});
    await sh('docker', ['rmi', '-f', handMade]).catch(() => {});
    await removeLocal();
    await corral.stop();
  });

  it('refuses bad references and a credential in the request with a 400 naming the field', async () => {
    for (const reference of ['x:y:z', ':', 'Busybox:1']) {
      const res = await corral.request<{ message: string; field: string }>(
        'POST',
        `/api/v1/hosts/${corral.hostId}/images/pull`,
        { reference },
      );
      expect(res.status).toBe(400);
      expect(res.body.field).toBe('params.reference');
      expect(res.body.message).toMatch(/not a valid image reference/);
    }
    const smuggled = await corral.request<{ field: string }>('POST', `/api/v1/hosts/${corral.hostId}/images/pull`, {
      reference: open,
      registryAuth: { serveraddress: REGISTRY_OPEN, username: 'x', password: 'y' },
    });
    expect(smuggled.status).toBe(400);
    expect(smuggled.body.field).toBe('params.registryAuth');
  });

  it('pulls by tag with progress per layer and in total; the result names image id, digest and registry', async () => {
    const done = await pull({ reference: open });
    const id = await localImage(open);
    expect(id).toMatch(/^sha256:/);
    expect(done.result).toEqual({
      imageId: id,
      reference: open,
      digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
      registry: REGISTRY_OPEN,
    });
    digest = String(done.result?.digest);
    const lines = done.output
      .split('\n')
      .filter((l) => l.startsWith('{"progress"'))
      .map((l) => JSON.parse(l) as { layer?: string; status: string; current: number; total: number | null });
    expect(lines.some((l) => l.layer && l.status === 'Downloading')).toBe(true);
    const last = lines.at(-1)!;
    expect(last.status).toBe('pulled');
    // The 256 KiB layer pushed by engines-up.sh, compressed, is part of the total.
    expect(last.total).toBeGreaterThan(200_000);
    expect(last.current).toBe(last.total);
    // The inventory has it when the command ends.
    const images = await corral.get<{ items: { tags: string[] }[] }>(`/api/v1/images?host=${corral.hostId}`);
    expect(images.body.items.some((i) => i.tags.includes(open))).toBe(true);
  });

  it('pulls by digest', async () => {
    await removeLocal();
    const byDigest = `${REGISTRY_OPEN}/${PULL_REPOSITORY}@${digest}`;
    const done = await pull({ reference: byDigest });
    expect(done.result).toMatchObject({ reference: byDigest, digest, registry: REGISTRY_OPEN });
    expect(await localImage(byDigest)).toBe(done.result?.imageId);
  });

  it('keeps registries admin-only and never answers with their secret', async () => {
    const missing = await corral.request<{ message: string }>('POST', '/api/v1/registries', {
      address: REGISTRY_AUTH,
      username: REGISTRY_USER,
    });
    expect(missing.status).toBe(400);
    expect(missing.body.message).toMatch(/password or token/);
    const scheme = await corral.request('POST', '/api/v1/registries', {
      address: `http://${REGISTRY_AUTH}`,
      token: 't',
    });
    expect(scheme.status).toBe(400);
    const added = await corral.request<Record<string, unknown>>('POST', '/api/v1/registries', {
      address: REGISTRY_AUTH,
      username: REGISTRY_USER,
      password: wrongPassword,
      insecure: true,
    });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({
      address: REGISTRY_AUTH,
      username: REGISTRY_USER,
      secretKind: 'password',
      insecure: true,
    });
    expect(JSON.stringify(added.body)).not.toContain(wrongPassword);
    const operator = await corral.request<{ secret: string }>('POST', '/api/v1/tokens', {
      name: `op-${corral.tag}`,
      role: 'operator',
    });
    const asOperator = await fetch(`${corral.base}/api/v1/registries`, {
      headers: { authorization: `Bearer ${operator.body.secret}` },
    });
    expect(asOperator.status).toBe(403);
  });

  it('fails a pull with a wrong password, naming it unauthorized, and leaves nothing', async () => {
    const before = await repoImages();
    const failed = await pull({ reference: authed }, 'failed');
    expect(failed.error?.message).toMatch(/unauthorized: registry 10\.251\.255\.1:5511 refused the credentials/);
    expect(await localImage(authed)).toBeNull();
    expect(await repoImages()).toBe(before);
  });

  it('pulls from the htpasswd registry once the credential is right', async () => {
    const list = await corral.get<{ items: { id: string; address: string }[] }>('/api/v1/registries');
    const wrong = list.body.items.find((r) => r.address === REGISTRY_AUTH)!;
    expect((await corral.request('DELETE', `/api/v1/registries/${wrong.id}`)).status).toBe(204);
    const added = await corral.request('POST', '/api/v1/registries', {
      address: REGISTRY_AUTH,
      username: REGISTRY_USER,
      password: REGISTRY_PASSWORD,
      insecure: true,
    });
    expect(added.status).toBe(201);
    const done = await pull({ reference: authed });
    expect(done.result).toMatchObject({ reference: authed, registry: REGISTRY_AUTH, digest });
    expect(await localImage(authed)).toBe(done.result?.imageId);
  });

  it('fails a pull of an unknown tag as not found, and leaves nothing', async () => {
    const before = await repoImages();
    const ref = `${REGISTRY_OPEN}/${PULL_REPOSITORY}:no-such-tag`;
    const failed = await pull({ reference: ref }, 'failed');
    expect(failed.error).toMatchObject({ code: 'not_found' });
    expect(failed.error?.message).toMatch(
      /not found: registry 10\.251\.255\.1:5510 has no such repository, tag or digest/,
    );
    expect(await localImage(ref)).toBeNull();
    expect(await repoImages()).toBe(before);
  });

  it('fails a pull from an unreachable registry, naming it, and leaves nothing', async () => {
    const ref = '10.251.255.1:5599/corral/pullme:1';
    const failed = await pull({ reference: ref }, 'failed');
    expect(failed.error?.message).toMatch(/unreachable: cannot reach registry 10\.251\.255\.1:5599/);
    expect(failed.error?.retryable).toBe(true);
    expect(await localImage(ref)).toBeNull();
  });

  it('a create pulls the image the host lacks, in the same command, and the container runs', async () => {
    await removeLocal();
    const created = await corral.command('POST', `/api/v1/hosts/${corral.hostId}/containers`, {
      runtime: 'docker',
      image: authed,
      name: containers[0],
      labels: { 'corral.test': '1' },
    });
    expect(created.output).toContain('"status":"pulled"');
    const state = await sh('docker', ['inspect', '--format', '{{.State.Running}}', containers[0]!]);
    expect(state).toBe('true');
    // What it pulled is recorded as pulled, by this command, like image.pull's.
    const imageId = await localImage(authed);
    expect(created.result?.pulled).toEqual({ imageId, reference: authed, digest, registry: REGISTRY_AUTH });
    const images = await corral.get<{ items: { engineId: string; origin: Record<string, unknown> }[] }>(
      `/api/v1/images?host=${corral.hostId}&origin=pulled`,
    );
    expect(images.body.items.find((i) => i.engineId === imageId)?.origin).toMatchObject({
      kind: 'pulled',
      registry: REGISTRY_AUTH,
      reference: authed,
      digest,
      commandId: created.id,
      requestedBy: expect.stringMatching(/^token:/),
    });
  });

  it('pull "never" does not pull, and a failed pull fails the create with the reason and makes nothing', async () => {
    await sh('docker', ['rm', '-f', containers[0]!]);
    await removeLocal();
    const never = await corral.command(
      'POST',
      `/api/v1/hosts/${corral.hostId}/containers`,
      { runtime: 'docker', image: open, name: containers[1], pull: 'never' },
      'failed',
    );
    expect(never.error?.message).toMatch(/No such image/i);
    expect(await localImage(open)).toBeNull();
    const bad = await corral.command(
      'POST',
      `/api/v1/hosts/${corral.hostId}/containers`,
      { runtime: 'docker', image: `${REGISTRY_OPEN}/${PULL_REPOSITORY}:missing-tag`, name: containers[2] },
      'failed',
    );
    expect(bad.error?.message).toMatch(/not found: registry 10\.251\.255\.1:5510/);
    const names = await sh('docker', ['ps', '-a', '--format', '{{.Names}}']);
    expect(names.split('\n')).not.toContain(containers[1]);
    expect(names.split('\n')).not.toContain(containers[2]);
  });

  it('image policy: a create breaking a rule is 422 naming it, audited; a placement skips the host with the reason', async () => {
    const policy = await corral.request<{ id: string }>('POST', '/api/v1/image-policies', {
      name: `digest-only-${corral.tag}`,
      selector: [],
      requireDigest: true,
    });
    expect(policy.status).toBe(201);
    try {
      const refused = await corral.request<{ error: string; rule: string; field: string; message: string }>(
        'POST',
        `/api/v1/hosts/${corral.hostId}/containers`,
        { runtime: 'docker', image: open, name: containers[2] },
      );
      expect(refused.status).toBe(422);
      expect(refused.body).toMatchObject({ error: 'image_policy', rule: 'image.requireDigest', field: 'params.image' });
      expect(refused.body.message).toContain(`digest-only-${corral.tag}`);
      const audit = await corral.get<{
        items: { action: string; outcome: string; statusCode: number; detail: unknown }[];
      }>('/api/v1/audit?limit=50');
      const entry = audit.body.items.find((a) => a.action === 'policy container.create' && a.statusCode === 422);
      expect(entry).toMatchObject({ outcome: 'denied' });
      expect(JSON.stringify(entry?.detail)).toContain('image.requireDigest');

      const placed = await corral.request<{ reasons: string[] }>('POST', '/api/v1/containers?dryRun=true', {
        runtime: 'docker',
        spec: { image: open },
        hosts: [corral.hostname],
      });
      expect(placed.status).toBe(409);
      expect(placed.body.reasons.join('\n')).toMatch(new RegExp(`${corral.hostname}: .*image\\.requireDigest`));

      // By digest it is allowed (dry run: the decision only).
      const allowed = await corral.request<{ placement: { outcome: string } }>(
        'POST',
        '/api/v1/containers?dryRun=true',
        {
          runtime: 'docker',
          spec: { image: `${REGISTRY_OPEN}/${PULL_REPOSITORY}@${digest}` },
          hosts: [corral.hostname],
        },
      );
      expect(allowed.status).toBe(200);
      expect(allowed.body.placement.outcome).toBe('dry_run');
    } finally {
      await corral.request('DELETE', `/api/v1/image-policies/${policy.body.id}`);
    }
    const registries = await corral.request<{ id: string }>('POST', '/api/v1/image-policies', {
      name: `only-open-${corral.tag}`,
      allowedRegistries: [REGISTRY_OPEN],
    });
    try {
      const refused = await corral.request<{ rule: string }>('POST', `/api/v1/hosts/${corral.hostId}/containers`, {
        runtime: 'docker',
        image: authed,
      });
      expect(refused.status).toBe(422);
      expect(refused.body.rule).toBe('image.allowedRegistries');
    } finally {
      await corral.request('DELETE', `/api/v1/image-policies/${registries.body.id}`);
    }
  });

  it('image policy: an image loaded by hand (origin unknown) is refused where the selector matches, allowed where not', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'corral-hand-'));
    await sh('sh', [
      '-c',
      `cd ${dir} && echo ${corral.tag} > hand && tar -cf rootfs.tar hand && docker import rootfs.tar ${handMade} >/dev/null && ` +
        `docker save -o hand.tar ${handMade} && docker rmi ${handMade} >/dev/null && docker load -q -i hand.tar >/dev/null && ` +
        `cd / && rm -rf ${dir}`,
    ]);
    const handId = await localImage(handMade);
    const origin = async () => {
      const images = await corral.get<{ items: { engineId: string; origin: { kind: string } }[] }>(
        `/api/v1/images?host=${corral.hostId}&name=${encodeURIComponent(handMade)}`,
      );
      return images.body.items.find((i) => i.engineId === handId)?.origin.kind;
    };
    for (let i = 0; (await origin()) !== 'unknown'; i++) {
      if (i > 100) throw new Error(`${handMade} never showed origin unknown`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const body = { runtime: 'docker', image: handMade, name: containers[3], command: ['/hand'], start: false };
    // The host has no label corral.test.zone: "!=" matches it, "exists" does not.
    const matching = await corral.request<{ id: string }>('POST', '/api/v1/image-policies', {
      name: `known-only-${corral.tag}`,
      selector: [{ label: 'corral.test.zone', op: '!=', value: 'lab' }],
      refuseUnknownOrigin: true,
    });
    expect(matching.status).toBe(201);
    try {
      const refused = await corral.request<{ error: string; rule: string; field: string; message: string }>(
        'POST',
        `/api/v1/hosts/${corral.hostId}/containers`,
        body,
      );
      expect(refused.status).toBe(422);
      expect(refused.body).toMatchObject({ error: 'image_policy', rule: 'image.unknownOrigin', field: 'params.image' });
      expect(refused.body.message).toContain(`known-only-${corral.tag}`);
      const audit = await corral.get<{ items: { action: string; statusCode: number; detail: unknown }[] }>(
        '/api/v1/audit?limit=50',
      );
      const entry = audit.body.items.find((a) => a.action === 'policy container.create' && a.statusCode === 422);
      expect(JSON.stringify(entry?.detail)).toContain('image.unknownOrigin');
      expect(JSON.stringify(entry?.detail)).toContain(`known-only-${corral.tag}`);
      expect(await corral.container(containers[3]!)).toBeUndefined();
    } finally {
      await corral.request('DELETE', `/api/v1/image-policies/${matching.body.id}`);
    }
    const elsewhere = await corral.request<{ id: string }>('POST', '/api/v1/image-policies', {
      name: `known-only-lab-${corral.tag}`,
      selector: [{ label: 'corral.test.zone', op: 'exists' }],
      refuseUnknownOrigin: true,
    });
    expect(elsewhere.status).toBe(201);
    try {
      await corral.command('POST', `/api/v1/hosts/${corral.hostId}/containers`, body);
      const made = await sh('docker', ['inspect', '--format', '{{.Image}}', containers[3]!]);
      expect(made).toBe(handId);
    } finally {
      await corral.request('DELETE', `/api/v1/image-policies/${elsewhere.body.id}`);
    }
  });

  it('the command line: corral image pull HOST REF; corral registry add, ls, rm', async () => {
    const home = await mkdtemp(path.join(os.tmpdir(), 'corral-cli-home-'));
    const env = { HOME: home, XDG_CONFIG_HOME: '', CORRAL_URL: corral.base, CORRAL_TOKEN: corral.adminToken };
    await removeLocal();
    const pulled = await runCli(['image', 'pull', corral.hostname, open], env);
    expect(pulled.code, pulled.stderr).toBe(0);
    expect(pulled.stdout.trim()).toBe(await localImage(open));
    const added = await runCli(['registry', 'add', 'cli.example:5000', '-u', 'bob', '--password-stdin'], env, {
      input: `${cliSecret}\n`,
    });
    expect(added.code, added.stderr).toBe(0);
    const listed = await runCli(['registry', 'ls', '--json'], env);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain('cli.example:5000');
    expect(listed.stdout).not.toContain(cliSecret);
    const noSecret = await runCli(['registry', 'add', 'other.example:5000', '-u', 'bob'], env);
    expect(noSecret.code).toBe(2);
    expect(noSecret.stderr).toMatch(/--password-stdin or --token-stdin/);
    expect((await runCli(['registry', 'rm', 'cli.example:5000'], env)).code).toBe(0);
    expect((await runCli(['registry', 'ls', '--json'], env)).stdout).not.toContain('cli.example:5000');
  });

  it('never shows a registry secret in answers, logs, audit or events', async () => {
    const secrets = [REGISTRY_PASSWORD, wrongPassword, cliSecret];
    const answers: unknown[] = [];
    answers.push((await corral.get('/api/v1/registries')).body);
    const commands = await corral.get<{ items: ApiCommand[] }>('/api/v1/commands?limit=200');
    answers.push(commands.body);
    for (const c of commands.body.items) answers.push((await corral.get(`/api/v1/commands/${c.id}`)).body);
    answers.push((await corral.get('/api/v1/audit?limit=1000')).body);
    const everything = [
      JSON.stringify(answers),
      corral.controller.output.join('\n'),
      corral.agent.output.join('\n'),
      JSON.stringify(events.messages),
    ].join('\n');
    // The pulls above did run with the credential: the answers hold the commands that used it.
    expect(JSON.stringify(answers)).toContain(authed);
    for (const secret of secrets) expect(everything).not.toContain(secret);
    // And stored commands hold no credential at all.
    for (const c of commands.body.items.filter((c) => c.op === 'image.pull')) {
      const full = await corral.get<{ params: Record<string, unknown> }>(`/api/v1/commands/${c.id}`);
      expect(full.body.params.registryAuth).toBeUndefined();
    }
  });
});
