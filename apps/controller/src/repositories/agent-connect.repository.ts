import type { Hello } from '@corral/protocol';
import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { pgJson } from './pg-encoding.js';
import { PG_POOL } from './tokens.js';

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
      previousStatus: 'online' | 'offline' | null;
    };

// The connect path for many agents at once: one statement checks the credentials of a batch of
// upgrades, one registers a batch of hellos. A fleet reconnecting together costs a few statements,
// not a handful per host.
@Injectable()
export class AgentConnectRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  // Live credentials among `hashes` (revoked or unknown ones are absent), marked used at `now`.
  async useCredentials(hashes: string[], now: Date): Promise<Map<string, CredentialOwner>> {
    const { rows } = await this.pool.query<{ hash: string; id: string; hostId: string; hostname: string }>(
      'UPDATE "AgentCredential" c SET "lastUsedAt" = $2 FROM "Host" h ' +
        'WHERE h.id = c."hostId" AND c."secretHash" = ANY($1::text[]) AND c."revokedAt" IS NULL ' +
        'RETURNING c."secretHash" AS hash, c.id::text AS id, c."hostId"::text AS "hostId", h.hostname',
      [[...new Set(hashes)], now],
    );
    return new Map(rows.map((r) => [r.hash, { credentialId: r.id, hostId: r.hostId, hostname: r.hostname }]));
  }

  // Checks each credential again (it may have been revoked since the upgrade) and brings the hosts
  // whose hello agrees with their credential online, in one statement. Host rows are locked in id
  // order, as the ingest batches lock them. At most one write per credential in a call.
  async registerHellos(writes: HelloWrite[], now: Date): Promise<HelloOutcome[]> {
    const values = writes.map(({ credentialId, hello }) => ({
      cred: credentialId,
      agentId: hello.agentId,
      hostname: hello.hostname,
      agentVersion: hello.agentVersion,
      protocolVersion: hello.protocolVersion,
      runtimes: hello.runtimes,
      labels: hello.labels,
    }));
    const { rows } = await this.pool.query<{
      cred: string;
      hostId: string;
      ownerAgentId: string;
      ownerHostname: string;
      previousStatus: 'online' | 'offline';
      isNew: boolean;
      lastSeq: string;
      sameName: boolean;
    }>(
      'WITH v AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS v(cred uuid, "agentId" text, hostname text, ' +
        '"agentVersion" text, "protocolVersion" text, runtimes jsonb, labels jsonb)), ' +
        'o AS MATERIALIZED (SELECT v.*, h.id AS "hostId", h."agentId" AS "ownerAgentId", h.hostname AS "ownerHostname", ' +
        'h.status::text AS "previousStatus", h."connectedAt" IS NULL AS "isNew", h."lastSeq", ' +
        'lower(btrim(v.hostname)) = lower(h.hostname) AS "sameName" ' +
        'FROM v JOIN "AgentCredential" c ON c.id = v.cred AND c."revokedAt" IS NULL JOIN "Host" h ON h.id = c."hostId" ' +
        'ORDER BY h.id FOR UPDATE OF h), ' +
        'up AS (UPDATE "Host" h SET status = \'online\', "agentVersion" = o."agentVersion", ' +
        '"protocolVersion" = o."protocolVersion", runtimes = o.runtimes, "agentLabels" = o.labels, ' +
        '"connectedAt" = $2, "lastSeenAt" = $2, "offlineAt" = NULL, "updatedAt" = $2 ' +
        'FROM o WHERE h.id = o."hostId" AND o."agentId" = o."ownerAgentId" AND o."sameName") ' +
        'SELECT cred::text AS cred, "hostId"::text AS "hostId", "ownerAgentId", "ownerHostname", "previousStatus", ' +
        '"isNew", "lastSeq"::text AS "lastSeq", "sameName" FROM o',
      [pgJson(values), now],
    );
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
      };
    });
  }
}
