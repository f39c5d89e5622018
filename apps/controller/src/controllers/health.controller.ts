import { Controller, Get, HttpException, HttpStatus } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
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
  @ApiOkResponse({ description: '{"status": "ok"} while the process answers at all' })
  healthz() {
    return { status: 'ok' };
  }

  @Get('readyz')
  @ApiOperation({ summary: 'The database is reachable and every migration is applied' })
  @ApiOkResponse({ description: '{"status": "ready"}' })
  @ApiServiceUnavailableResponse({
    description:
      '{"status": "not_ready", "reason": ...}: the database did not answer within 2 s, or migrations are pending or failed (listed)',
  })
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
