import { Controller, Get, HttpException, HttpStatus, Inject } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { DatabaseHandle } from '../app.module.js';
import { migrationStatus } from '../database/migrator.js';
import type { PrismaClient } from '../generated/prisma/client.js';
import { DATABASE, PRISMA } from '../repositories/tokens.js';
import { Public } from './auth.decorators.js';

@ApiTags('health')
@Public()
@Controller()
export class HealthController {
  constructor(
    @Inject(PRISMA) private readonly prisma: PrismaClient,
    @Inject(DATABASE) private readonly database: DatabaseHandle,
  ) {}

  @Get('healthz')
  @ApiOperation({ summary: 'The process is up' })
  healthz() {
    return { status: 'ok' };
  }

  @Get('readyz')
  @ApiOperation({ summary: 'The database is reachable and every migration is applied' })
  async readyz() {
    try {
      await this.prisma.$queryRawUnsafe('SELECT 1');
      const status = await migrationStatus(this.database.url, this.database.migrationsDir);
      if (status.pending.length > 0 || status.failed.length > 0) {
        throw new HttpException(
          { status: 'not_ready', reason: 'migrations not applied', pending: status.pending, failed: status.failed },
          HttpStatus.SERVICE_UNAVAILABLE,
        );
      }
      return { status: 'ready' };
    } catch (err) {
      if (err instanceof HttpException) throw err;
      throw new HttpException({ status: 'not_ready', reason: 'database unreachable' }, HttpStatus.SERVICE_UNAVAILABLE);
    }
  }
}
