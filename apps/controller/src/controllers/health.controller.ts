import { Controller, Get, HttpException, HttpStatus, Inject } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { DatabaseHandle } from '../app.module.js';
import { migrationStatus } from '../database/migrator.js';
import type { PrismaClient } from '../generated/prisma/client.js';
import { DATABASE, PRISMA } from '../repositories/tokens.js';
import { Public } from './auth.decorators.js';

// A database that drops packets must make /readyz say no, not hang it.
const READY_TIMEOUT_MS = 2_000;

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

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
      await withTimeout(this.prisma.$queryRawUnsafe('SELECT 1'), READY_TIMEOUT_MS);
      const status = await withTimeout(
        migrationStatus(this.database.url, this.database.migrationsDir),
        READY_TIMEOUT_MS,
      );
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
