import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { HttpException, Inject, Injectable, Logger } from '@nestjs/common';
import type { Config } from '../config/config.js';
import type { PlacementCall } from '../controllers/placement-call.js';
import { CONFIG } from '../repositories/tokens.js';
import { currentRequestId } from '../request-context.js';
import { BadGatewayError, ServiceUnavailableError } from '../services/errors.js';
import type { PlacementResult } from '../services/placement.service.js';
import { LeaderLease } from './leader-lease.js';
import { ReplicaService } from './replica.service.js';
import { ReplicaSecret } from './replica-secret.service.js';
import { type ReplicaTlsOptions, replicaTlsOptions } from './replica-tls.js';

export const INTERNAL_PLACEMENTS_PATH = '/internal/placements';
// How long a placement waits for a replica to hold the lease (a holder that died is replaced
// within LEASE_RETRY_MS of Postgres seeing its connection end) before answering 503.
export const PLACEMENT_HANDOVER_MS = 8_000;
const RETRY_MS = 200;

type Attempt =
  | { kind: 'answered'; result: PlacementResult }
  | { kind: 'not-sent'; why: string }
  | { kind: 'failed'; error: Error };

// Placements are decided by one replica at a time, the holder of the sweepers' lease: its scheduling
// index sees every reservation as it is made, so two placements asked of different replicas cannot
// both take a host's last capacity. Another replica passes the request to it (as the caller,
// authenticated and audited here) and answers with what it decided.
@Injectable()
export class PlacementRouter {
  private readonly logger = new Logger(PlacementRouter.name);
  private readonly tls: ReplicaTlsOptions;
  private readonly agent = new http.Agent({ keepAlive: true });
  // PLACEMENT_HANDOVER_MS; tests shorten it.
  handoverMs = PLACEMENT_HANDOVER_MS;

  constructor(
    @Inject(CONFIG) config: Config,
    private readonly lease: LeaderLease,
    private readonly replicas: ReplicaService,
    private readonly secret: ReplicaSecret,
  ) {
    this.tls = replicaTlsOptions(config);
  }

  // Null when this replica decides (it holds the lease); else the deciding replica's result. A
  // request that reached the holder and broke off is not sent again (it may have been placed).
  async elsewhere(call: PlacementCall): Promise<PlacementResult | null> {
    const until = Date.now() + this.handoverMs;
    let why = 'no replica holds the lease';
    for (;;) {
      if (this.lease.holds()) return null;
      const holder = await this.replicas.leaseHolder();
      if (holder && holder.replicaId !== this.replicas.id) {
        const attempt = await this.send(holder, call);
        if (attempt.kind === 'answered') return attempt.result;
        if (attempt.kind === 'failed') throw attempt.error;
        why = attempt.why;
      }
      if (Date.now() >= until) {
        throw new ServiceUnavailableError(
          `placements are decided by the replica holding the lease, and none could be reached for ` +
            `${this.handoverMs / 1000} s (${why}); nothing was placed`,
        );
      }
      await new Promise((r) => setTimeout(r, RETRY_MS));
    }
  }

  private send(holder: { replicaId: string; url: string }, call: PlacementCall): Promise<Attempt> {
    const name = `controller replica ${holder.replicaId} (${holder.url})`;
    const target = new URL(INTERNAL_PLACEMENTS_PATH, holder.url);
    const body = Buffer.from(JSON.stringify(call));
    const headers: Record<string, string | number> = {
      authorization: this.secret.authorization(),
      'content-type': 'application/json',
      'content-length': body.length,
    };
    const requestId = currentRequestId();
    if (requestId) headers['x-request-id'] = requestId;
    const secure = target.protocol === 'https:';
    return new Promise<Attempt>((resolve) => {
      const req = (secure ? https : http).request(target, {
        method: 'POST',
        headers,
        ...(secure ? (this.tls as unknown as http.RequestOptions) : { agent: this.agent }),
      });
      // Whether the whole request reached the kernel: before that the holder cannot have read it
      // (no connection, a TLS handshake refused), so it is safe to try again; after it, a reset may
      // come from a holder that died deciding: answered as 502.
      let flushed = false;
      req.once('finish', () => {
        flushed = true;
      });
      req.once('error', (err: NodeJS.ErrnoException) => {
        if (!flushed) resolve({ kind: 'not-sent', why: `${name}: ${err.message}` });
        else
          resolve({
            kind: 'failed',
            error: new BadGatewayError(
              `${name}, which decides placements, failed while deciding this one (${err.message}): it may ` +
                'have been placed; GET /api/v1/placements shows what was',
            ),
          });
      });
      req.once('response', (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.once('error', (err) => req.emit('error', err));
        res.once('end', () => resolve(this.answer(name, res.statusCode ?? 502, Buffer.concat(chunks))));
      });
      req.end(body);
    });
  }

  // The holder's answer: its result, or its error answered as it gave it.
  private answer(name: string, status: number, raw: Buffer): Attempt {
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      return { kind: 'failed', error: new BadGatewayError(`${name} answered ${status} with a body that is not JSON`) };
    }
    if (status === 200) return { kind: 'answered', result: body as PlacementResult };
    if (status === 401) {
      this.logger.error(`${name} refused this replica's secret`);
      return { kind: 'failed', error: new BadGatewayError(`${name} refused this replica's credential`) };
    }
    // Deciding never answers 404: the holder has no such route (a replica of an older version).
    if (status === 404) {
      return {
        kind: 'failed',
        error: new BadGatewayError(
          `${name} holds the lease but does not take placements from other replicas (an older version?); nothing was placed`,
        ),
      };
    }
    return { kind: 'failed', error: new HttpException(body as Record<string, unknown>, status) };
  }
}
