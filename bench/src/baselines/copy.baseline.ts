import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { DEFAULT_SHAPE, SyntheticHost } from '@corral/simulator';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { applyMigrationSql, createBenchDatabase } from '../support/database.js';
import { CONTAINER_COPY_COLUMNS, containerCopyLine } from './copy-rows.js';

export interface CopyBaseline {
  rows: number;
  seconds: number;
  rowsPerSecond: number;
  bytes: number;
}

// The same container rows the fleet reports, written by one COPY into Corral's own table (same indexes),
// encoded before the clock starts: what Postgres alone can ingest on this machine.
export async function copyBaseline(hosts: number, containersPerHost: number, seed: number): Promise<CopyBaseline> {
  const db = await createBenchDatabase('corral_bench_copy');
  const client = new pg.Client({ connectionString: db.url });
  try {
    await applyMigrationSql(db.url);
    await client.connect();
    const shape = { ...DEFAULT_SHAPE, seed, containersPerHost };
    const hostIds: string[] = [];
    const chunks: Buffer[] = [];
    let bytes = 0;
    for (let i = 0; i < hosts; i++) {
      const host = new SyntheticHost(shape, i);
      const id = randomUUID();
      hostIds.push(id);
      let lines = '';
      for (let j = 0; j < host.containerCount; j++)
        lines += containerCopyLine(id, host.containerKey(j), host.container(j));
      const chunk = Buffer.from(lines);
      bytes += chunk.length;
      chunks.push(chunk);
    }
    await client.query(
      `INSERT INTO "Host" (id, "agentId", hostname, "updatedAt") SELECT id, 'copy-' || id, 'copy-' || n, now() ` +
        'FROM unnest($1::uuid[]) WITH ORDINALITY AS t(id, n)',
      [hostIds],
    );
    const started = performance.now();
    const stream = client.query(
      copyFrom(`COPY "Container" (${CONTAINER_COPY_COLUMNS.map((c) => `"${c}"`).join(', ')}) FROM STDIN`),
    );
    for (const chunk of chunks) {
      if (!stream.write(chunk)) await once(stream, 'drain');
    }
    stream.end();
    await once(stream, 'finish');
    const seconds = (performance.now() - started) / 1000;
    const rows = hosts * containersPerHost;
    return { rows, seconds, rowsPerSecond: rows / seconds, bytes };
  } finally {
    await client.end().catch(() => undefined);
    await db.drop();
  }
}
