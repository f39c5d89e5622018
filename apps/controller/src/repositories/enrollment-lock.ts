import type { Prisma } from '../generated/prisma/client.js';
import { EnrollmentConflict } from './enrollment.repository.js';

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

// A host enrolling again under its agent id takes the hostname of this enrollment (a host's name is
// the one it enrolled with), unless another host has it. Called under lockEnrollment.
export async function takeEnrolledName(
  tx: Prisma.TransactionClient,
  host: { id: string; hostname: string },
  hostname: string,
): Promise<void> {
  if (host.hostname.toLowerCase() === hostname.toLowerCase()) return;
  const other = await tx.host.findFirst({
    where: { id: { not: host.id }, hostname: { equals: hostname, mode: 'insensitive' } },
    select: { id: true, hostname: true },
  });
  if (other) throw new EnrollmentConflict('hostname', other.id, other.hostname);
  await tx.host.update({ where: { id: host.id }, data: { hostname } });
}
