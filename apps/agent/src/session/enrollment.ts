import { backoffDelay } from '../lib/backoff.js';
import type { Logger } from '../lib/logger.js';
import { ControllerRotation } from './controller-rotation.js';
import type { ControllerFetch } from './controller-tls.js';

export interface EnrollOptions {
  // The replicas' agent socket URLs, tried in turn from startIndex like the session's.
  controllerUrls: string[];
  startIndex?: number;
  token: string;
  agentId: string;
  hostname: string;
  fetch: ControllerFetch;
  logger: Logger;
  // Give up after this many attempts that could succeed later (controller down, 5xx).
  maxAttempts?: number;
  backoff?: { baseMs: number; maxMs: number };
}

export class EnrollmentRefused extends Error {}

// Pure: the controller's REST base from its agent socket URL (ws -> http, wss -> https).
export function enrollUrl(controllerUrl: string): string {
  const url = new URL(controllerUrl);
  url.protocol = url.protocol === 'wss:' ? 'https:' : 'http:';
  url.pathname = '/api/v1/enroll';
  url.search = '';
  url.hash = '';
  return url.toString();
}

// Trades the enrollment token for this host's credential. Retries while the controller is
// unreachable or failing, on the next replica at once and with backoff after a round of them; a refusal
// (bad, used or expired token, host taken) is final: every replica reads the same database.
export async function enroll(opts: EnrollOptions): Promise<{ hostId: string; credential: string }> {
  const rotation = new ControllerRotation(opts.controllerUrls, opts.startIndex ?? 0);
  const maxAttempts = opts.maxAttempts ?? 60;
  for (let attempt = 0; ; attempt++) {
    const url = enrollUrl(rotation.current);
    let failure: string;
    try {
      const res = await opts.fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token: opts.token, agentId: opts.agentId, hostname: opts.hostname }),
        signal: AbortSignal.timeout(15_000),
      });
      const body = (await res.json().catch(() => ({}))) as { hostId?: string; credential?: string; message?: string };
      if (res.ok && body.hostId && body.credential) return { hostId: body.hostId, credential: body.credential };
      if (res.status < 500) {
        throw new EnrollmentRefused(
          `controller refused enrollment (HTTP ${res.status}): ${body.message ?? 'no reason given'}`,
        );
      }
      failure = `HTTP ${res.status}`;
    } catch (err) {
      if (err instanceof EnrollmentRefused) throw err;
      failure = (err as Error).message;
    }
    if (attempt + 1 >= maxAttempts) throw new Error(`could not enroll at ${url}: ${failure}`);
    const next = rotation.failed();
    const delay =
      next.backoffAttempt === null
        ? 0
        : backoffDelay(next.backoffAttempt, opts.backoff ?? { baseMs: 500, maxMs: 10_000 });
    opts.logger.warn('enrollment failed; retrying', { url, error: failure, next: enrollUrl(next.url), inMs: delay });
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}
