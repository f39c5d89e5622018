import { createHash } from 'node:crypto';
import { SUPERSEDED_CLOSE_CODE } from '@corral/protocol';

export { SUPERSEDED_CLOSE_CODE };

export interface NextAttempt {
  url: string;
  // Null: connect at once. Else the attempt number to hand to backoffDelay before connecting.
  backoffAttempt: number | null;
}

// Pure: where in the list a host starts, the same on every start, spread over the fleet.
// Keyed by the agent id (a random UUID per host) rather than the hostname, which clones often share.
export function startIndex(key: string, count: number): number {
  if (count <= 1) return 0;
  return createHash('sha256').update(key).digest().readUInt32BE(0) % count;
}

// Which controller URL to try next. A failed or dropped connection moves on to the next URL at once;
// only when every URL failed in a row does the caller wait its backoff, which grows with each full round.
// With one URL this is today's behaviour: back off after every failure, from attempt 0 after a welcome.
export class ControllerRotation {
  private index: number;
  private failuresInRow = 0;
  private supersededInRow = 0;

  constructor(
    readonly urls: readonly string[],
    start = 0,
  ) {
    if (urls.length === 0) throw new Error('ControllerRotation needs at least one URL');
    this.index = ((start % urls.length) + urls.length) % urls.length;
  }

  get current(): string {
    return this.urls[this.index] as string;
  }

  // A welcome came: the next failure starts a new round.
  connected(): void {
    this.failuresInRow = 0;
  }

  // The connection to the current URL failed to come up, was refused, or dropped.
  failed(): NextAttempt {
    this.supersededInRow = 0;
    this.failuresInRow++;
    this.index = (this.index + 1) % this.urls.length;
    const roundDone = this.failuresInRow % this.urls.length === 0;
    return { url: this.current, backoffAttempt: roundDone ? this.failuresInRow / this.urls.length - 1 : null };
  }

  // The controller closed this socket because a newer connection of this host exists. That replica is up,
  // so stay on it, but only after a backoff that grows while it keeps happening: reconnecting at once
  // would fight the newer connection.
  superseded(): NextAttempt {
    this.failuresInRow = 0;
    return { url: this.current, backoffAttempt: this.supersededInRow++ };
  }
}
