import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Inject, Injectable } from '@nestjs/common';
import type { Config } from '../config/config.js';
import { CONFIG } from '../repositories/tokens.js';
import { BadGatewayError } from '../services/errors.js';
import { ReplicaService } from './replica.service.js';
import { type ReplicaTlsOptions, replicaTlsOptions } from './replica-tls.js';

// Set on a request one replica passes to another, so that it is never passed on again.
export const FORWARDED_HEADER = 'x-corral-forwarded-by';
const PASSED = ['authorization', 'content-type', 'content-length', 'accept'];

export type ForwardedResponse = Writable & {
  headersSent: boolean;
  status(code: number): unknown;
  setHeader(name: string, value: string | number): unknown;
};

// Passes an agent's request for /api/v1/uploads/{id} to the replica holding the id, streamed both
// ways (backpressure end to end, nothing held here): the holder authenticates the agent's own
// credential, as every replica can, and answers as if the agent had come to it.
@Injectable()
export class ReplicaForwarder {
  private readonly tls: ReplicaTlsOptions;

  constructor(
    @Inject(CONFIG) config: Config,
    private readonly replicas: ReplicaService,
  ) {
    this.tls = replicaTlsOptions(config);
  }

  // Whether this request already came from another replica (then it is answered here, whatever).
  static forwarded(req: IncomingMessage): boolean {
    return req.headers[FORWARDED_HEADER] !== undefined;
  }

  async forward(
    holder: { replicaId: string; url: string },
    req: IncomingMessage & Readable,
    res: ForwardedResponse,
  ): Promise<void> {
    const target = new URL(req.url ?? '/', holder.url);
    const headers: Record<string, string> = { [FORWARDED_HEADER]: this.replicas.id };
    for (const name of PASSED) {
      const value = req.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    const name = `controller replica ${holder.replicaId} (${holder.url})`;
    const client = target.protocol === 'https:' ? https : http;
    const upstream = client.request(target, {
      method: req.method,
      headers,
      ...(this.tls as unknown as http.RequestOptions),
    });
    const answered = new Promise<IncomingMessage>((resolve, reject) => {
      upstream.once('response', resolve);
      upstream.once('error', reject);
    });
    let sent: Promise<void> | null = null;
    if (req.method === 'GET' || req.method === 'HEAD') upstream.end();
    else sent = pipeline(req, upstream);
    sent?.catch(() => upstream.destroy());
    let answer: IncomingMessage;
    try {
      answer = await answered;
    } catch (err) {
      throw new BadGatewayError(`${name}, which holds this, could not be reached: ${(err as Error).message}`);
    }
    res.status(answer.statusCode ?? 502);
    for (const header of ['content-type', 'content-length', 'www-authenticate']) {
      const value = answer.headers[header];
      if (typeof value === 'string') res.setHeader(header, value);
    }
    try {
      await pipeline(answer, res);
      await sent;
    } catch (err) {
      // Headers are out: the only way left to say it is to cut the connection.
      res.destroy(new Error(`the answer of ${name} broke off: ${(err as Error).message}`));
    }
  }
}
