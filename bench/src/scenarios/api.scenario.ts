import { DEFAULT_SHAPE, SyntheticHost } from '@corral/simulator';
import pg from 'pg';
import type { ControllerProcess } from '../support/controller-process.js';
import { PhaseMeter } from '../support/phase.js';
import { type Figure, figure, type ScenarioReport } from '../support/report.js';
import { prngFor, type Summary, summarize, timedPool } from '../support/stats.js';
import type { FleetSize } from './fleet-size.js';

const CONCURRENCY = 8;
const PAGE = 100;

interface Query {
  name: string;
  path: (i: number) => string;
  // The same read as the API's repository issues it, straight through pg (statements sent at once).
  sql: (i: number) => { text: string; values: unknown[] }[];
  // Or, when the repository sends one statement after another, that sequence.
  run?: (pool: pg.Pool, i: number) => Promise<unknown>;
  // Items a correct answer holds at least (the fleet is known).
  minItems: number;
}

const SELECT =
  'SELECT t.*, h.hostname AS "hostHostname", h.status::text AS "hostStatus" FROM "Container" t JOIN "Host" h ON h.id = t."hostId"';
const ORDER = `ORDER BY t.name, t.id LIMIT ${PAGE}`;
const like = (s: string) => `%${s.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

function queries(size: FleetSize): Query[] {
  const shape = { ...DEFAULT_SHAPE, seed: size.seed, containersPerHost: size.containers };
  const random = prngFor(size.seed ^ 0xa91);
  // Fixed picks per request index, so the API and the raw SQL ask the same questions.
  const picks = Array.from({ length: 1000 }, () => {
    const host = new SyntheticHost(shape, Math.floor(random() * size.hosts));
    const j = Math.floor(random() * size.containers);
    return { hostname: host.hostname, name: host.containerName(j), ip: host.ipOf(j) };
  });
  const pick = (i: number) => picks[i % picks.length]!;
  return [
    {
      name: 'containers, first page',
      path: () => `/api/v1/containers?limit=${PAGE}`,
      sql: () => [{ text: `${SELECT} ${ORDER}`, values: [] }],
      minItems: PAGE,
    },
    {
      name: 'containers ?host=<hostname>',
      path: (i) => `/api/v1/containers?host=${pick(i).hostname}&limit=${PAGE}`,
      sql: () => [],
      // The host ids first, then that host's rows, sorted apart from the rest of the table.
      run: async (pool, i) => {
        const hosts = await pool.query<{ id: string }>(
          'SELECT id::text AS id FROM "Host" WHERE lower(hostname) = lower($1)',
          [pick(i).hostname],
        );
        return pool.query(
          `${SELECT.replace('FROM "Container" t', 'FROM (SELECT * FROM "Container" WHERE "hostId" = ANY($1::uuid[]) OFFSET 0) t')} ${ORDER}`,
          [hosts.rows.map((h) => h.id)],
        );
      },
      minItems: size.containers,
    },
    {
      name: 'containers ?state=exited',
      path: () => `/api/v1/containers?state=exited&limit=${PAGE}`,
      sql: () => [{ text: `${SELECT} WHERE t.state IN ($1) ${ORDER}`, values: ['exited'] }],
      minItems: 1,
    },
    {
      name: 'containers ?name=<one name>',
      path: (i) => `/api/v1/containers?name=${encodeURIComponent(pick(i).name)}&limit=${PAGE}`,
      sql: (i) => [{ text: `${SELECT} WHERE t.name ILIKE $1 ${ORDER}`, values: [like(pick(i).name)] }],
      minItems: 1,
    },
    {
      name: 'containers ?label=app=web',
      path: () => `/api/v1/containers?label=${encodeURIComponent('app=web')}&limit=${PAGE}`,
      sql: () => [{ text: `${SELECT} WHERE t."labelText" ILIKE $1 ${ORDER}`, values: [like('app=web')] }],
      minItems: 1,
    },
    {
      name: 'containers ?ip=<one address>',
      path: (i) => `/api/v1/containers?ip=${pick(i).ip}&limit=${PAGE}`,
      sql: (i) => [
        {
          text: `${SELECT.replace('FROM "Container" t', 'FROM (SELECT t.* FROM "Container" t WHERE t.ipv4 @> ARRAY[$1::text] OFFSET 0) t')} ${ORDER}`,
          values: [pick(i).ip],
        },
      ],
      minItems: 0,
    },
    {
      name: 'fleet/summary',
      path: () => '/api/v1/fleet/summary',
      sql: () => [
        { text: 'SELECT status, count(*) FROM "Host" GROUP BY status', values: [] },
        { text: 'SELECT runtime, state, count(*) FROM "Container" GROUP BY runtime, state', values: [] },
        ...['Image', 'Volume', 'Network', 'Bridge', 'Lease'].map((t) => ({
          text: `SELECT count(*) FROM "${t}"`,
          values: [],
        })),
      ],
      minItems: 0,
    },
  ];
}

export interface ApiParams {
  requestsPerQuery: number;
}

// Latency of list and summary reads at the fleet's full size, CONCURRENCY requests in flight,
// each beside the same SQL sent straight to Postgres.
export async function apiScenario(ctl: ControllerProcess, size: FleetSize, params: ApiParams): Promise<ScenarioReport> {
  const pool = new pg.Pool({ connectionString: ctl.db.url, max: CONCURRENCY });
  const figures: Figure[] = [];
  const details: { name: string; api: Summary; sql: Summary; bad: number }[] = [];
  try {
    const floor = summarize(
      await timedPool(params.requestsPerQuery, CONCURRENCY, async () => {
        const res = await fetch(`${ctl.baseUrl}/healthz`);
        await res.arrayBuffer();
      }),
    );
    const meter = await PhaseMeter.begin(ctl);
    for (const q of queries(size)) {
      let bad = 0;
      const api = summarize(
        await timedPool(params.requestsPerQuery, CONCURRENCY, async (i) => {
          const res = await fetch(`${ctl.baseUrl}${q.path(i)}`, { headers: ctl.authHeaders });
          const body = (await res.json()) as { items?: unknown[] };
          if (!res.ok || (body.items && body.items.length < q.minItems)) bad++;
        }),
      );
      const sql = summarize(
        await timedPool(params.requestsPerQuery, CONCURRENCY, async (i) => {
          if (q.run) await q.run(pool, i);
          else await Promise.all(q.sql(i).map((s) => pool.query(s.text, s.values)));
        }),
      );
      details.push({ name: q.name, api, sql, bad });
      console.log(
        `  api ${q.name}: p50 ${api.p50.toFixed(1)} ms p99 ${api.p99.toFixed(1)} ms (raw SQL p50 ${sql.p50.toFixed(1)} ms)` +
          (bad ? `, ${bad} wrong answers` : ''),
      );
      figures.push(
        figure(`${q.name} p50`, api.p50, 'ms', {
          baseline: { name: 'same SQL via pg', value: sql.p50, unit: 'ms', ratio: api.p50 / sql.p50 },
          note: bad ? `${bad} wrong answers` : undefined,
        }),
        figure(`${q.name} p99`, api.p99, 'ms', {
          baseline: { name: 'same SQL via pg', value: sql.p99, unit: 'ms', ratio: api.p99 / sql.p99 },
        }),
      );
    }
    const usage = await meter.end();
    figures.push(
      figure('GET /healthz p50 (HTTP floor)', floor.p50, 'ms'),
      figure('controller CPU during the queries', usage.controllerCpuSeconds, 'cpu-s'),
    );
  } finally {
    await pool.end();
  }
  return {
    scenario: 'api',
    params: {
      hosts: size.hosts,
      containers: size.containers,
      requestsPerQuery: params.requestsPerQuery,
      concurrency: CONCURRENCY,
    },
    figures,
    details,
  };
}
