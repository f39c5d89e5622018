import { Inject, Injectable } from '@nestjs/common';
import type { DatabaseHandle } from '../app.module.js';
import { type MigrationStatus, migrationStatus } from '../database/migrator.js';
import type { PrismaClient } from '../generated/prisma/client.js';
import { DATABASE, PRISMA } from './tokens.js';

// What readiness asks of the database. The probe runs on Prisma's connections, not the ingest pool,
// so probes piling up while the database is unreachable never hold the connections ingest needs.
@Injectable()
export class HealthRepository {
  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    @Inject(DATABASE) private readonly database: DatabaseHandle,
  ) {}

  async ping(): Promise<void> {
    await this.prisma.$queryRaw`SELECT 1`;
  }

  migrations(): Promise<MigrationStatus> {
    return migrationStatus(this.database.url, this.database.migrationsDir);
  }
}
