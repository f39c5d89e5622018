import { sampleDockerContainer } from '@corral/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestController, type TestController } from '../support/controller.js';
import { snapshotOf } from '../support/frames.js';
import type { RawAgent } from '../support/raw-agent.js';
import { SseClient } from '../support/sse.js';
import { waitFor } from '../support/wait.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

interface Family {
  help: string | null;
  type: string | null;
  samples: Sample[];
}

// Prometheus text format 0.0.4, strictly: HELP and TYPE comments, samples `name{l="v",...} value`,
// empty lines (which the format ignores); any other line fails the parse.
const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL = `([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\\\\n]|\\\\["\\\\n])*)"`;
const SAMPLE = new RegExp(`^(${NAME})(?:\\{((?:${LABEL})(?:,${LABEL})*,?)?\\})? (\\S+)(?: (-?\\d+))?$`);
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

function parsePrometheus(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const family = (name: string) => {
    let f = families.get(name);
    if (!f) {
      f = { help: null, type: null, samples: [] };
      families.set(name, f);
    }
    return f;
  };
  const lines = text.split('\n');
  expect(lines.at(-1), 'the text ends with a newline').toBe('');
  for (const [i, line] of lines.slice(0, -1).entries()) {
    const where = `line ${i + 1}: ${JSON.stringify(line)}`;
    if (line === '') continue;
    if (line.startsWith('#')) {
      const meta = new RegExp(`^# (HELP|TYPE) (${NAME}) (.*)$`).exec(line);
      if (!meta) throw new Error(`malformed comment, ${where}`);
      const f = family(meta[2]!);
      if (meta[1] === 'HELP') f.help = meta[3]!;
      else {
        if (!TYPES.has(meta[3]!)) throw new Error(`unknown type, ${where}`);
        f.type = meta[3]!;
      }
      continue;
    }
    const m = SAMPLE.exec(line);
    if (!m) throw new Error(`malformed sample, ${where}`);
    const labels: Record<string, string> = {};
    for (const pair of (m[2] ?? '').matchAll(new RegExp(LABEL, 'g'))) {
      labels[pair[1]!] = pair[2]!.replace(/\\n/g, '\n').replace(/\\(["\\])/g, '$1');
    }
    const raw = m[7]!;
    // As Prometheus reads a value (Go's ParseFloat): Inf and NaN in any case. prom-client writes a
    // mean with no samples behind it as "Nan" (the event loop lag between two close scrapes).
    const word = raw.toLowerCase();
    const value =
      word === '+inf' || word === 'inf' ? Infinity : word === '-inf' ? -Infinity : word === 'nan' ? NaN : Number(raw);
    if (Number.isNaN(value) && word !== 'nan') throw new Error(`bad value, ${where}`);
    const name = m[1]!;
    // Samples of a histogram or summary belong to the family without the suffix.
    const base = name.replace(/_(bucket|sum|count|total|created)$/, '');
    const owner = families.has(name) ? name : families.has(base) ? base : name;
    if (!families.get(owner)?.type) throw new Error(`sample before its TYPE, ${where}`);
    family(owner).samples.push({ name, labels, value });
  }
  return families;
}

class Scrape {
  constructor(readonly families: Map<string, Family>) {}

  // The one sample of `name` whose labels include `labels`; 0 when there is none.
  value(name: string, labels: Record<string, string> = {}): number {
    const found: Sample[] = [];
    for (const f of this.families.values()) {
      for (const s of f.samples) {
        if (s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)) found.push(s);
      }
    }
    if (found.length > 1) throw new Error(`${name} ${JSON.stringify(labels)} matches ${found.length} samples`);
    return found[0]?.value ?? 0;
  }
}

describe('Prometheus metrics', () => {
  let ctl: TestController;
  const opened: { close(): void }[] = [];

  beforeAll(async () => {
    ctl = await startTestController({ CORRAL_REPLICA_ID: 'metrics-replica-1' });
  });

  afterAll(async () => {
    for (const o of opened) o.close();
    await ctl?.close();
  });

  // With the web view built (as CI builds it), its page fallback must leave /metrics alone.
  const scrape = async (headers: Record<string, string> = {}): Promise<Scrape> => {
    const res = await fetch(`${ctl.baseUrl}/metrics`, { headers });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return new Scrape(parsePrometheus(await res.text()));
  };

  it('answers without an API token, as Prometheus text with corral_ names, the replica, leases and process metrics', async () => {
    const s = await scrape();
    for (const [name, f] of s.families) {
      expect(name.startsWith('corral_'), name).toBe(true);
      expect(f.type, name).not.toBeNull();
      expect(f.help, name).toBeTruthy();
    }
    expect(s.value('corral_replica_info', { replica: 'metrics-replica-1' })).toBe(1);
    // The only replica on its database holds the sweepers' lease.
    expect(s.value('corral_leader', { job: 'sweepers' })).toBe(1);
    expect(s.families.get('corral_process_cpu_user_seconds_total')?.type).toBe('counter');
    expect(s.value('corral_process_resident_memory_bytes')).toBeGreaterThan(1e6);
    expect(s.value('corral_agents_connected')).toBe(0);
    expect(s.value('corral_sse_clients')).toBe(0);
    expect(s.families.get('corral_ingest_batch_seconds')?.type).toBe('histogram');
    expect(s.families.get('corral_command_duration_seconds')?.type).toBe('histogram');
    expect(s.value('corral_db_pool_waiting')).toBe(0);
    expect(s.value('corral_commands_open', { status: 'pending' })).toBe(0);
  });

  it('moves with agent frames, ingest, commands and event streams', async () => {
    const before = await scrape();
    const agent: RawAgent = await ctl.agent({ hostname: 'metrics-host' });
    opened.push(agent);
    agent.send(agent.hello());
    const { hostId } = await agent.next('welcome');
    await waitFor('the connection to count', async () => (await scrape()).value('corral_agents_connected') === 1);

    agent.send(snapshotOf(1, [sampleDockerContainer]));
    expect((await agent.next('ack')).seq).toBe(1);
    agent.send('{"type":"no-such-frame"}');
    agent.send('not json at all');
    await agent.next('error');
    await agent.next('error');
    const events = await SseClient.open(`${ctl.baseUrl}/api/v1/events`, ctl.authHeaders);
    opened.push(events);
    // The stream counts once it is registered (after its replay plan is read), not at its headers.
    await waitFor('the stream to count', async () => (await scrape()).value('corral_sse_clients') === 1);

    const afterFrames = await scrape();
    const frames = (type: string) =>
      afterFrames.value('corral_agent_frames_received_total', { type }) -
      before.value('corral_agent_frames_received_total', { type });
    expect(frames('hello')).toBe(1);
    expect(frames('snapshot')).toBe(1);
    expect(frames('invalid')).toBe(2);
    const batches = (s: Scrape) => s.value('corral_ingest_batch_seconds_count', { outcome: 'ok' });
    expect(batches(afterFrames) - batches(before)).toBe(1);
    expect(afterFrames.value('corral_ingest_batch_seconds_sum', { outcome: 'ok' })).toBeGreaterThan(0);
    expect(afterFrames.value('corral_sse_clients')).toBe(1);
    expect(afterFrames.value('corral_db_pool_connections')).toBeGreaterThan(0);
    expect(afterFrames.value('corral_db_pool_wait_seconds_count')).toBeGreaterThan(
      before.value('corral_db_pool_wait_seconds_count'),
    );

    // A command: created as sent (its agent is connected), accepted, then succeeded.
    const container = await ctl.prisma.container.findFirstOrThrow({ where: { hostId } });
    const created = await ctl.request<{ id: string }>('POST', `/api/v1/containers/${container.id}/start`, {});
    expect(created.status).toBe(202);
    const frame = await agent.next('command');
    expect(frame.id).toBe(created.body.id);
    const open = await scrape();
    expect(open.value('corral_commands_open', { status: 'sent' })).toBe(1);
    agent.send({ type: 'command.accepted', id: frame.id });
    await events.waitForType('command-running');
    expect((await scrape()).value('corral_commands_open', { status: 'running' })).toBe(1);
    agent.send({ type: 'command.result', id: frame.id, ok: true, result: { state: 'running' } });
    await events.waitForType('command-succeeded');

    const done = await scrape();
    const op = 'container.start';
    for (const status of ['sent', 'running', 'succeeded']) {
      expect(done.value('corral_command_transitions_total', { op, status }), status).toBe(1);
    }
    expect(done.value('corral_command_duration_seconds_count', { op, status: 'succeeded' })).toBe(1);
    expect(done.value('corral_command_duration_seconds_bucket', { op, status: 'succeeded', le: '+Inf' })).toBe(1);
    expect(done.value('corral_commands_open', { status: 'running' })).toBe(0);
    expect(done.value('corral_commands_open', { status: 'sent' })).toBe(0);
    const accepted = (s: Scrape) => s.value('corral_agent_frames_received_total', { type: 'command.accepted' });
    expect(accepted(done) - accepted(before)).toBe(1);
    // The stream got the command's events live: each delivery measured its lag.
    const lag =
      done.value('corral_event_delivery_lag_seconds_count') - before.value('corral_event_delivery_lag_seconds_count');
    expect(lag).toBeGreaterThanOrEqual(3);
    expect(done.value('corral_event_delivery_lag_seconds_sum')).toBeLessThan(lag * 5);

    events.close();
    agent.close();
    await agent.waitClosed();
    await waitFor('streams and agents to go', async () => {
      const s = await scrape();
      return s.value('corral_sse_clients') === 0 && s.value('corral_agents_connected') === 0;
    });
  });

  it('answers X-Request-Id: the client’s own when it sent one, else a fresh one', async () => {
    const own = await fetch(`${ctl.baseUrl}/api/v1/hosts`, {
      headers: { ...ctl.authHeaders, 'x-request-id': 'trace-42' },
    });
    expect(own.headers.get('x-request-id')).toBe('trace-42');
    const fresh = await fetch(`${ctl.baseUrl}/api/v1/hosts`, { headers: ctl.authHeaders });
    expect(fresh.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const bad = await fetch(`${ctl.baseUrl}/healthz`, { headers: { 'x-request-id': 'a b' } });
    expect(bad.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('Prometheus metrics behind CORRAL_METRICS_TOKEN', () => {
  let ctl: TestController;
  const token = 'metrics-scrape-token-0123456789';

  beforeAll(async () => {
    ctl = await startTestController({ CORRAL_METRICS_TOKEN: token });
  });

  afterAll(async () => {
    await ctl?.close();
  });

  it('asks for the token, and takes no API token instead', async () => {
    expect((await fetch(`${ctl.baseUrl}/metrics`)).status).toBe(401);
    expect((await fetch(`${ctl.baseUrl}/metrics`, { headers: ctl.authHeaders })).status).toBe(401);
    expect((await fetch(`${ctl.baseUrl}/metrics`, { headers: { authorization: `Bearer ${token}x` } })).status).toBe(
      401,
    );
    const res = await fetch(`${ctl.baseUrl}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    expect(parsePrometheus(await res.text()).has('corral_agents_connected')).toBe(true);
  });
});
