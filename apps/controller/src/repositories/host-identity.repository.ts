import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { transaction } from '../database/transaction.js';
import { enrollmentQueries } from './enrollment.repository.js';
import { lockEnrollment } from './enrollment-lock.js';
import { PG_POOL } from './tokens.js';

export type RenameOutcome =
  | { result: 'renamed'; previousHostname: string }
  | { result: 'not-found' }
  | { result: 'taken'; hostId: string; hostname: string };

// A host's name: set at enrollment, changed only here (admin) or by a takeover enrollment.
@Injectable()
export class HostIdentityRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  // Under the enrollment lock of the new name, so a rename and an enrollment never both take it.
  rename(hostId: string, hostname: string, now: Date): Promise<RenameOutcome> {
    return transaction(this.pool, async ({ db }): Promise<RenameOutcome> => {
      await lockEnrollment(db, { hostname });
      const host = await db.selectFrom('Host').select('hostname').where('id', '=', hostId).executeTakeFirst();
      if (!host) return { result: 'not-found' };
      const other = (await enrollmentQueries.hostsNamed(db, hostname).execute()).find((h) => h.id !== hostId);
      if (other) return { result: 'taken', hostId: other.id, hostname: other.hostname };
      await db.updateTable('Host').set({ hostname, updatedAt: now }).where('id', '=', hostId).execute();
      return { result: 'renamed', previousHostname: host.hostname };
    });
  }
}
