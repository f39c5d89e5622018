import type { Prisma } from '../generated/prisma/client.js';

// Advisory lock classes (pg_advisory_xact_lock(int, int)): one per agent id, one per hostname.
const AGENT_ID_LOCK = 72707380;
const HOSTNAME_LOCK = 72707381;

// Serializes enrollments (and renames) that share an agent id or a hostname until the transaction
// ends, so parallel attempts see each other's host: exactly one host, the others a conflict. The agent
// id is always locked before the hostname, so two transactions never wait on each other in a circle.
export async function lockEnrollment(
  tx: Prisma.TransactionClient,
  keys: { agentId?: string; hostname: string },
): Promise<void> {
  if (keys.agentId !== undefined) {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(${AGENT_ID_LOCK}::int, hashtext(${keys.agentId}))`;
  }
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(${HOSTNAME_LOCK}::int, hashtext(lower(${keys.hostname})))`;
}
