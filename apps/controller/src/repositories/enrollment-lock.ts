import { sql } from 'kysely';
import type { Db } from '../database/kysely.js';
import { EnrollmentConflict, enrollmentQueries } from './enrollment.repository.js';

// Advisory lock classes (pg_advisory_xact_lock(int, int)): one per agent id, one per hostname.
const AGENT_ID_LOCK = 72707380;
const HOSTNAME_LOCK = 72707381;

// Serializes enrollments (and renames) that share an agent id or a hostname until the transaction
// ends, so parallel attempts see each other's host: exactly one host, the others a conflict. The agent
// id is always locked before the hostname, so two transactions never wait on each other in a circle.
// `db` must be a transaction's (database/transaction.ts): the locks are held until it ends.
export async function lockEnrollment(db: Db, keys: { agentId?: string; hostname: string }): Promise<void> {
  if (keys.agentId !== undefined) {
    await sql`SELECT pg_advisory_xact_lock(${AGENT_ID_LOCK}::int, hashtext(${keys.agentId}))`.execute(db);
  }
  await sql`SELECT pg_advisory_xact_lock(${HOSTNAME_LOCK}::int, hashtext(lower(${keys.hostname})))`.execute(db);
}

// A host enrolling again under its agent id takes the hostname of this enrollment (a host's name is
// the one it enrolled with), unless another host has it. Called under lockEnrollment.
export async function takeEnrolledName(
  db: Db,
  host: { id: string; hostname: string },
  hostname: string,
  now: Date,
): Promise<void> {
  if (host.hostname.toLowerCase() === hostname.toLowerCase()) return;
  const other = (await enrollmentQueries.hostsNamed(db, hostname).execute()).find((h) => h.id !== host.id);
  if (other) throw new EnrollmentConflict('hostname', other.id, other.hostname);
  await db.updateTable('Host').set({ hostname, updatedAt: now }).where('id', '=', host.id).execute();
}
