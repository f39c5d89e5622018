import { type Hello, HOST_STATUS, type HostStatus } from '@corral/protocol';
import { Inject, Injectable } from '@nestjs/common';
import { sql } from 'kysely';
import type { Db } from '../database/kysely.js';
import { pgJson } from './pg-encoding.js';
import { anyOf } from './sql-helpers.js';
import { KYSELY } from './tokens.js';

// A live credential, found by the hash of its secret.
export interface CredentialOwner {
  credentialId: string;
  hostId: string;
  hostname: string;
}

export interface HelloWrite {
  credentialId: string;
  hello: Hello;
}

// What registering one hello found: the credential revoked (or its host removed), the credential
// belonging to another agent, or the host brought online.
export type HelloOutcome =
  | { result: 'revoked' }
  | { result: 'mismatch'; hostId: string; agentId: string; hostname: string }
  // The hello names another hostname than the host's (fixed at enrollment; renamed only by an admin).
  | { result: 'hostname-mismatch'; hostId: string; hostname: string }
  | {
      result: 'registered';
      hostId: string;
      lastSeq: number;
      isNew: boolean;
      previousStatus: HostStatus | null;
      // The connection epoch this hello raised the host to (see Host.connectionEpoch).
      epoch: number;
    };

// The connect path for many agents at once: one statement checks the credentials of a batch of
// upgrades, one registers a batch of hellos. A fleet reconnecting together costs a few statements,
// not a handful per host.
@Injectable()
export class AgentConnectRepository {
  constructor(@Inject(KYSELY) private readonly db: Db) {}

  // Live credentials among `hashes` (revoked or unknown ones are absent), marked used at `now`.
  async useCredentials(hashes: string[], now: Date): Promise<Map<string, CredentialOwner>> {
    const rows = await agentConnectQueries.useCredentials(this.db, hashes, now).execute();
    return new Map(rows.map((r) => [r.hash, { credentialId: r.id, hostId: r.hostId, hostname: r.hostname }]));
  }

  // Checks each credential again (it may have been revoked since the upgrade) and brings the hosts
  // whose hello agrees with their credential online, in one statement. Host rows are locked in id
  // order, as the ingest batches lock them. At most one write per credential in a call.
  // Each registered host's connection epoch goes up by one and names `replicaId` as its holder.
  async registerHellos(writes: HelloWrite[], now: Date, replicaId: string): Promise<HelloOutcome[]> {
    const { rows } = await agentConnectQueries.registerHellos(writes, now, replicaId).execute(this.db);
    const byCredential = new Map(rows.map((r) => [r.cred, r]));
    return writes.map(({ credentialId, hello }): HelloOutcome => {
      const row = byCredential.get(credentialId);
      if (!row) return { result: 'revoked' };
      if (row.ownerAgentId !== hello.agentId) {
        return { result: 'mismatch', hostId: row.hostId, agentId: row.ownerAgentId, hostname: row.ownerHostname };
      }
      if (!row.sameName) {
        return { result: 'hostname-mismatch', hostId: row.hostId, hostname: row.ownerHostname };
      }
      return {
        result: 'registered',
        hostId: row.hostId,
        lastSeq: Number(row.lastSeq),
        isNew: row.isNew,
        // A host enrolled but never connected was not offline before: it did not exist yet.
        previousStatus: row.isNew ? null : row.previousStatus,
        epoch: Number(row.epoch),
      };
    });
  }
}

interface HelloRow {
  cred: string;
  hostId: string;
  ownerAgentId: string;
  ownerHostname: string;
  previousStatus: HostStatus;
  isNew: boolean;
  lastSeq: string;
  sameName: boolean;
  epoch: string | null;
}

export const agentConnectQueries = {
  useCredentials: (db: Db, hashes: string[], now: Date) =>
    db
      .updateTable('AgentCredential as c')
      .from('Host as h')
      .set({ lastUsedAt: now })
      .whereRef('h.id', '=', 'c.hostId')
      .where('c.secretHash', '=', anyOf([...new Set(hashes)]))
      .where('c.revokedAt', 'is', null)
      .returning(['c.secretHash as hash', 'c.id', 'c.hostId', 'h.hostname']),

  registerHellos: (writes: HelloWrite[], now: Date, replicaId: string) => {
    const values = writes.map(({ credentialId, hello }) => ({
      cred: credentialId,
      agentId: hello.agentId,
      hostname: hello.hostname,
      agentVersion: hello.agentVersion,
      protocolVersion: hello.protocolVersion,
      runtimes: hello.runtimes,
      labels: hello.labels,
    }));
    return sql<HelloRow>`WITH v AS (SELECT * FROM jsonb_to_recordset(${pgJson(values)}::jsonb) AS v(cred uuid, \
"agentId" text, hostname text, "agentVersion" text, "protocolVersion" text, runtimes jsonb, labels jsonb)), \
o AS MATERIALIZED (SELECT v.*, h.id AS "hostId", h."agentId" AS "ownerAgentId", h.hostname AS "ownerHostname", \
h.status::text AS "previousStatus", h."connectedAt" IS NULL AS "isNew", h."lastSeq", \
lower(btrim(v.hostname)) = lower(h.hostname) AS "sameName" \
FROM v JOIN "AgentCredential" c ON c.id = v.cred AND c."revokedAt" IS NULL JOIN "Host" h ON h.id = c."hostId" \
ORDER BY h.id FOR UPDATE OF h), \
up AS (UPDATE "Host" h SET status = ${sql.lit(HOST_STATUS.online)}, \
"agentVersion" = o."agentVersion", "protocolVersion" = o."protocolVersion", runtimes = o.runtimes, \
"agentLabels" = o.labels, "connectedAt" = ${now}, "lastSeenAt" = ${now}, "offlineAt" = NULL, "updatedAt" = ${now}, \
"connectionEpoch" = h."connectionEpoch" + 1, "replicaId" = ${replicaId} \
FROM o WHERE h.id = o."hostId" AND o."agentId" = o."ownerAgentId" AND o."sameName" \
RETURNING h.id, h."connectionEpoch") \
SELECT cred::text AS cred, "hostId"::text AS "hostId", "ownerAgentId", "ownerHostname", "previousStatus", \
"isNew", "lastSeq"::text AS "lastSeq", "sameName", up."connectionEpoch"::text AS epoch \
FROM o LEFT JOIN up ON up.id = o."hostId"`;
  },
};
