import { timingSafeEqual } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { Controller, Get, Headers, Inject, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Config } from '../config/config.js';
import { CONFIG } from '../repositories/tokens.js';
import { UnauthorizedError } from '../services/errors.js';
import { MetricsService } from '../services/metrics.service.js';
import { bearerToken } from '../services/secrets.js';
import { Public } from './auth.decorators.js';

// Prometheus text on the API's port, outside /api/v1 and its tokens: open, or behind
// CORRAL_METRICS_TOKEN when that is set (a scraper holds no API token).
@ApiExcludeController()
@Public()
@Controller()
export class MetricsController {
  private readonly token: Buffer | null;

  constructor(
    @Inject(CONFIG) config: Config,
    private readonly metrics: MetricsService,
  ) {
    this.token = config.metricsToken ? Buffer.from(config.metricsToken) : null;
  }

  @Get('metrics')
  async scrape(@Headers('authorization') authorization: string | undefined, @Res() res: ServerResponse) {
    if (this.token && !this.allowed(authorization)) {
      throw new UnauthorizedError('send the metrics token as "Authorization: Bearer <CORRAL_METRICS_TOKEN>"');
    }
    const text = await this.metrics.scrape();
    res.writeHead(200, { 'Content-Type': this.metrics.contentType, 'Cache-Control': 'no-store' });
    res.end(text);
  }

  private allowed(authorization: string | undefined): boolean {
    const presented = Buffer.from(bearerToken(authorization) ?? '');
    return presented.length === this.token!.length && timingSafeEqual(presented, this.token!);
  }
}
