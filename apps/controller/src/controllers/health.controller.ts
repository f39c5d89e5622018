import { Controller, Get, HttpException, HttpStatus } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthRepository } from '../repositories/health.repository.js';
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
  constructor(private readonly health: HealthRepository) {}

  @Get('healthz')
  @ApiOperation({ summary: 'The process is up' })
  healthz() {
    return { status: 'ok' };
  }

  @Get('readyz')
  @ApiOperation({ summary: 'The database is reachable and every migration is applied' })
  async readyz() {
    try {
      await withTimeout(this.health.ping(), READY_TIMEOUT_MS);
      const status = await withTimeout(this.health.migrations(), READY_TIMEOUT_MS);
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
