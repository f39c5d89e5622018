import { sampleDockerContainer, sampleFacts } from '@corral/protocol';
import type { Compilable } from 'kysely';
import { describe, expect, it } from 'vitest';
import { coldKysely } from '../database/kysely.fixture.js';
import { agentConnectQueries } from './agent-connect.repository.js';
import { apiTokenQueries } from './api-token.repository.js';
import { auditQueries } from './audit.repository.js';
import { clusterQueries } from './cluster.repository.js';
import { containerMoveQueries } from './container-move.repository.js';
import { doctorQueries } from './doctor.repository.js';
import { enrollmentQueries } from './enrollment.repository.js';
import { eventLogQueries } from './event-log.repository.js';
import { fleetQueries } from './fleet-query.repository.js';
import { heartbeatQueries } from './heartbeat.repository.js';
import { hostQueries } from './host.repository.js';
import { imageOriginQueries } from './image-origin.repository.js';
import { imagePolicyQueries } from './image-policy.repository.js';
import { inventoryQueries as ingest } from './inventory.repository.js';
import { inventoryQueries as lists } from './inventory-query.repository.js';
import { rowFor } from './inventory-tables.js';
import { ipLookupQueries } from './ip-lookup.repository.js';
import { placementQueries } from './placement.repository.js';
import { registryQueries } from './registry.repository.js';
import { volumeUseQueries } from './volume-use.repository.js';
import { webSessionQueries } from './web-session.repository.js';

// The SQL of the main queries, as Kysely compiles it: a change to a query shows up in review as a
// change to __snapshots__/sql-snapshots.spec.ts.snap.
const db = coldKysely();
const H1 = '00000000-0000-4000-8000-000000000001';
const H2 = '00000000-0000-4000-8000-000000000002';
const NOW = new Date('2026-12-01T00:00:00.000Z');
const compiled = (query: Compilable) => {
  const { sql, parameters } = query.compile();
  return { sql, parameters };
};
const raw = (query: {
  compile(db: ReturnType<typeof coldKysely>): { sql: string; parameters: readonly unknown[] };
}) => {
  const { sql, parameters } = query.compile(db);
  return { sql, parameters };
};

describe('SQL of the ingest path', () => {
  it('locks hosts in id order', () => {
    expect(compiled(ingest.lockHosts(db, [H2, H1]))).toMatchSnapshot();
  });

  it('updates seq and facts of many hosts in one statement', () => {
    expect(raw(ingest.updateHosts([{ id: H1, lastSeq: 7, facts: sampleFacts }]))).toMatchSnapshot();
  });

  it('finds hosts that hold rows, over every inventory table', () => {
    expect(compiled(ingest.hostsWithRows(db, [H1]))).toMatchSnapshot();
  });

  it('diffs, deletes and upserts one kind in one statement', () => {
    const rows = [rowFor('container', H1, sampleDockerContainer)];
    expect(raw(ingest.write('container', rows, [H1], [{ hostId: H2, key: 'docker:gone' }])).sql).toMatchSnapshot();
    expect(raw(ingest.write('lease', [], [], [])).sql).toMatchSnapshot();
  });

  it('records heartbeats', () => {
    expect(compiled(heartbeatQueries.lock(db, [H1, H2]))).toMatchSnapshot();
    const load = { load1: 0.5, load5: 0.4, load15: 0.3, memoryAvailableBytes: 1, diskAvailableBytes: 2 } as never;
    expect(raw(heartbeatQueries.update([H1], [{ load, at: NOW }]))).toMatchSnapshot();
  });
});

describe('SQL of the connect path', () => {
  it('checks credentials and registers hellos', () => {
    expect(compiled(agentConnectQueries.useCredentials(db, ['a', 'b', 'a'], NOW))).toMatchSnapshot();
    expect(raw(agentConnectQueries.registerHellos([], NOW, 'replica-a')).sql).toMatchSnapshot();
  });

  it('touches and sweeps hosts', () => {
    expect(compiled(hostQueries.touch(db, [H1], NOW))).toMatchSnapshot();
    expect(compiled(hostQueries.touch(db, [H1], NOW, NOW)).sql).toMatchSnapshot();
    expect(compiled(hostQueries.markOffline(db, NOW, [H2], NOW))).toMatchSnapshot();
  });

  it('finds an API token and enrolls an agent', () => {
    expect(compiled(apiTokenQueries.findByHash(db, 'hash'))).toMatchSnapshot();
    expect(compiled(apiTokenQueries.touch(db, H1, NOW))).toMatchSnapshot();
    expect(compiled(enrollmentQueries.hostOfAgent(db, 'agent')).sql).toMatchSnapshot();
    expect(compiled(enrollmentQueries.hostsNamed(db, 'h1')).sql).toMatchSnapshot();
    expect(compiled(enrollmentQueries.spendUse(db, H1, NOW)).sql).toMatchSnapshot();
  });
});

describe('SQL of the API reads', () => {
  const page = { limit: 51 };
  it('lists inventory with the selective filters fenced first', () => {
    expect(compiled(lists.list(db, 'containers', {}, page))).toMatchSnapshot();
    expect(
      compiled(
        lists.list(
          db,
          'containers',
          { host: 'h1', ip: '10.0.3.5', state: ['running', 'exited'], name: 'web' },
          {
            limit: 51,
            after: { key: 'web-1', id: H2 },
          },
          [H1],
        ),
      ),
    ).toMatchSnapshot();
    expect(compiled(lists.list(db, 'leases', { mac: 'aa:bb:cc:dd:ee:ff', stale: true }, page)).sql).toMatchSnapshot();
    expect(compiled(lists.list(db, 'images', { name: 'busybox', label: 'a=b' }, page)).sql).toMatchSnapshot();
    expect(compiled(lists.list(db, 'hosts', { label: 'zone=eu', status: 'online' }, page))).toMatchSnapshot();
    expect(compiled(lists.hostIdsNamed(db, 'H1')).sql).toMatchSnapshot();
  });

  it('filters images and containers by image origin and digest', () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    expect(compiled(lists.list(db, 'images', { origin: 'unknown' }, page))).toMatchSnapshot();
    expect(compiled(lists.list(db, 'images', { origin: 'copied', digest }, page))).toMatchSnapshot();
    expect(compiled(lists.list(db, 'containers', { imageOrigin: 'pulled' }, page))).toMatchSnapshot();
  });

  it('writes image origins: what Corral did replaces, a first sighting never does', () => {
    const at = NOW;
    const origin = {
      hostId: H1,
      engineId: 'sha256:1',
      kind: 'copied',
      registry: null,
      reference: null,
      digest: 'sha256:d',
      fromHostId: H2,
      fromHostname: 'h2',
      fromImage: 'sha256:1',
      uploadId: 't',
      container: null,
      commandId: null,
      requestedBy: 'token:x (1)',
      recordedAt: at,
      source: { kind: 'pulled' },
    };
    expect(compiled(imageOriginQueries.upsert(db, [origin]))).toMatchSnapshot();
    expect(compiled(imageOriginQueries.unknown(db, [{ hostId: H1, engineId: 'sha256:2', at }]))).toMatchSnapshot();
  });

  it('reads the origin of the image a create names, on the hosts it may go to', () => {
    const names = { tags: ['app:1'], repoDigests: [], idPrefix: 'sha256:0123456789ab' };
    expect(compiled(imageOriginQueries.originOnHosts(db, [H1, H2], names))).toMatchSnapshot();
  });

  it('refuses a filter the list does not have', () => {
    expect(() => lists.list(db, 'bridges', { label: 'x' }, page)).toThrow('filter label does not apply to bridges');
  });

  it('looks up an address everywhere it can be', () => {
    for (const query of Object.values(ipLookupQueries)) expect(compiled(query(db, '10.0.3.5')).sql).toMatchSnapshot();
  });

  it('counts the fleet', () => {
    expect(compiled(fleetQueries.hostsByStatus(db)).sql).toMatchSnapshot();
    expect(compiled(fleetQueries.containersByRuntimeState(db)).sql).toMatchSnapshot();
    expect(raw(fleetQueries.totals()).sql).toMatchSnapshot();
    expect(compiled(fleetQueries.countsByHost(db, [H1]))).toMatchSnapshot();
    expect(compiled(fleetQueries.containerStatesByHost(db, [H1]))).toMatchSnapshot();
  });

  it('finds a web session with its token', () => {
    expect(compiled(webSessionQueries.findByHash(db, 'abc'))).toMatchSnapshot();
  });

  it('reads whether the sessions of open streams still hold', () => {
    expect(compiled(webSessionQueries.states(db, ['abc', 'def']))).toMatchSnapshot();
  });

  it('pages the audit log', () => {
    expect(
      compiled(
        auditQueries.list(db, { actor: 'token:x', action: '50%_off', since: NOW }, 50, {
          key: NOW.toISOString(),
          id: H1,
        }),
      ),
    ).toMatchSnapshot();
  });
});

describe('SQL of container moves', () => {
  it('reads the container, the target bridges by leases served, its images and names', () => {
    expect(compiled(containerMoveQueries.container(db, H1))).toMatchSnapshot();
    expect(compiled(containerMoveQueries.bridges(db, H2))).toMatchSnapshot();
    expect(compiled(containerMoveQueries.image(db, H2, 'sha256:1'))).toMatchSnapshot();
    expect(compiled(containerMoveQueries.named(db, H2, 'web'))).toMatchSnapshot();
  });
});

describe('SQL of placements', () => {
  it('writes placements, their audit entries and commands in one statement', () => {
    expect(placementQueries.recordMany).toMatchSnapshot();
  });
});

describe('SQL of registries and image policies', () => {
  it('finds the registry of an address, lists and removes', () => {
    const q = registryQueries(db);
    expect(compiled(q.byAddress('10.0.0.5:5000'))).toMatchSnapshot();
    expect(compiled(q.list())).toMatchSnapshot();
    expect(compiled(q.remove(H1))).toMatchSnapshot();
  });

  it('lists, finds and removes image policies', () => {
    const q = imagePolicyQueries(db);
    expect(compiled(q.list())).toMatchSnapshot();
    expect(compiled(q.find(H1))).toMatchSnapshot();
    expect(compiled(q.remove(H1))).toMatchSnapshot();
  });
});

describe('SQL of the doctor and the volume guard', () => {
  it("reads one host's findings, and the fleet's of one severity", () => {
    expect(compiled(doctorQueries.findings(db, { hostId: H1 }))).toMatchSnapshot();
    expect(compiled(doctorQueries.findings(db, { severity: 'critical' }))).toMatchSnapshot();
  });

  it('records volume uses in one upsert, and reads those of existing volumes', () => {
    const use = {
      hostId: H1,
      volume: 'data',
      family: 'postgres',
      repository: 'postgres',
      imageId: 'sha256:1',
      containers: ['pg1'],
    };
    expect(compiled(volumeUseQueries.record(db, [use], NOW))).toMatchSnapshot();
    expect(compiled(volumeUseQueries.ofVolumes(db, H1, ['data']))).toMatchSnapshot();
  });
});

describe('SQL of the event log', () => {
  it('appends a batch under the lock of the writers and announces it', () => {
    const event = { type: 'host-online', kind: 'host', hostId: H1, at: NOW.toISOString(), data: { id: H1 } };
    expect(raw(eventLogQueries.append('replica-a', [event]))).toMatchSnapshot();
  });

  it('reads batches after an id, and what retention drops', () => {
    expect(compiled(eventLogQueries.after(db, 41, 200))).toMatchSnapshot();
    expect(compiled(eventLogQueries.after(db, 41, 20, 90))).toMatchSnapshot();
    expect(compiled(eventLogQueries.tail(41, 200, 'replica-a'))).toMatchSnapshot();
    expect(compiled(eventLogQueries.eventsOf(db, [42, 43]))).toMatchSnapshot();
    expect(raw(eventLogQueries.bounds())).toMatchSnapshot();
    expect(compiled(eventLogQueries.newestOlderThan(db, 3600))).toMatchSnapshot();
    expect(raw(eventLogQueries.newestBeyondCount(1_000_000))).toMatchSnapshot();
    expect(compiled(eventLogQueries.deleteUpTo(db, 90, 500))).toMatchSnapshot();
  });
});

describe('SQL of the replicas among themselves', () => {
  it('keeps replica rows and finds who holds a host, an upload or the lease', () => {
    expect(compiled(clusterQueries.touchReplica(db, 'replica-a', 'http://127.0.0.1:1', 10_000))).toMatchSnapshot();
    expect(compiled(clusterQueries.hostHolder(db, H1, 10_000))).toMatchSnapshot();
    expect(compiled(clusterQueries.holderOf(db, 'upload-1', 10_000))).toMatchSnapshot();
    expect(compiled(clusterQueries.claim(db, 'upload-1', 'replica-a'))).toMatchSnapshot();
    expect(raw(clusterQueries.leaseHolder())).toMatchSnapshot();
    expect(compiled(clusterQueries.offerSetting(db, 'replica-secret', 's'))).toMatchSnapshot();
  });
});
