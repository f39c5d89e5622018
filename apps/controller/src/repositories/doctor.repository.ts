import { Inject, Injectable } from '@nestjs/common';
import type { Db } from '../database/kysely.js';
import { KYSELY } from './tokens.js';

// The host doctor's findings as the inventory stores them (table DoctorFinding), with their host.
@Injectable()
export class DoctorRepository {
  constructor(@Inject(KYSELY) private readonly db: Db) {}

  findings(filter: { hostId?: string; severity?: string }) {
    return doctorQueries.findings(this.db, filter).execute();
  }
}

export const doctorQueries = {
  findings: (db: Db, filter: { hostId?: string; severity?: string }) =>
    db
      .selectFrom('DoctorFinding as t')
      .innerJoin('Host as h', 'h.id', 't.hostId')
      .selectAll('t')
      .select(['h.hostname as hostHostname', 'h.status as hostStatus'])
      .$if(filter.hostId !== undefined, (q) => q.where('t.hostId', '=', filter.hostId!))
      .$if(filter.severity !== undefined, (q) => q.where('t.severity', '=', filter.severity!))
      .orderBy('h.hostname')
      .orderBy('t.findingId'),
};
