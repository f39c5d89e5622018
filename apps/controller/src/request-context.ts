import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { Logger } from '@nestjs/common';
import { redactUrl } from './log-redaction.js';

interface RequestContext {
  requestId: string;
}

const storage = new AsyncLocalStorage<RequestContext>();

// The id of the HTTP request whose work is running now, for every log line it writes.
export function currentRequestId(): string | undefined {
  return storage.getStore()?.requestId;
}

// An id a client sends is kept when it is a sane token; anything else gets a fresh one.
const CLIENT_ID = /^[\x21-\x7e]{1,128}$/;

// Quiet routes: scrapes and probes every few seconds would drown the log at info.
const QUIET = new Set(['/metrics', '/healthz', '/readyz']);

// Every request: an X-Request-Id (the client's, else a new one) answered in the header and carried
// by each log line written while it runs, and one line when it ends.
export function requestIds(logger = new Logger('Http')) {
  return (req: IncomingMessage, res: ServerResponse, next: () => void): void => {
    const sent = req.headers['x-request-id'];
    const given = Array.isArray(sent) ? sent[0] : sent;
    const requestId = given && CLIENT_ID.test(given) ? given : randomUUID();
    res.setHeader('X-Request-Id', requestId);
    const started = performance.now();
    res.once('close', () => {
      const url = redactUrl(req.url ?? '');
      const line = {
        msg: `${req.method} ${url} ${res.statusCode}`,
        method: req.method,
        url,
        status: res.statusCode,
        ms: Math.round((performance.now() - started) * 10) / 10,
        ...(res.writableFinished ? {} : { aborted: true }),
      };
      const path = url.split('?', 1)[0]!;
      storage.run({ requestId }, () => {
        if (res.statusCode >= 500) logger.error(line);
        else if (QUIET.has(path)) logger.debug(line);
        else logger.log(line);
      });
    });
    storage.run({ requestId }, next);
  };
}
