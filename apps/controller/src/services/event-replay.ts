// Event ids are durable: `batch id * EVENT_ID_SPAN + place in the batch` (a batch holds far fewer).
export const EVENT_ID_SPAN = 1_000_000;

export const eventId = (batchId: number, index: number): number => batchId * EVENT_ID_SPAN + index;
export const batchOf = (id: number): number => Math.floor(id / EVENT_ID_SPAN);

// What a stream resuming after `lastEventId` does, from what the log holds.
export interface ResumeFacts {
  lastEventId: number;
  // The newest event this replica had delivered when the stream subscribed (0: none yet).
  latestEventId: number;
  // The oldest and newest batch in the table (null on an empty table).
  oldestBatch: number | null;
  newestBatch: number | null;
}

export type ResumePlan =
  // Nothing was missed (the client is at or past what this replica delivered).
  | { action: 'live' }
  // Read batches from `fromBatch` on, up to what this replica had delivered.
  | { action: 'replay'; fromBatch: number }
  | { action: 'reset'; reason: string };

export const RESET_REASONS = {
  gone: 'events after the given id are no longer kept (past CORRAL_EVENT_RETENTION_S or _EVENTS); list the inventory again',
  unknown: 'the given id is newer than any event written (another database?); list the inventory again',
} as const;

export function planResume(f: ResumeFacts): ResumePlan {
  const batch = batchOf(f.lastEventId);
  const newest = Math.max(f.newestBatch ?? 0, batchOf(f.latestEventId));
  if (batch > newest) return { action: 'reset', reason: RESET_REASONS.unknown };
  if (f.lastEventId >= f.latestEventId) return { action: 'live' };
  // Retention drops the oldest batches first: a batch below the oldest kept may have been dropped.
  if (f.oldestBatch === null || batch < f.oldestBatch) return { action: 'reset', reason: RESET_REASONS.gone };
  return { action: 'replay', fromBatch: batch };
}

// One stream's merge of its replay (read from the log) with the live events that arrive meanwhile:
// live events are kept until the replay is done, then the ones it did not cover follow. Events come
// in id order on both sides, so no event is lost or sent twice.
export class ReplayMerge<E extends { id: number }> {
  private buffer: E[] | null = [];
  private sent: number;
  overflowed = false;

  constructor(
    lastEventId: number,
    private readonly maxBuffered: number,
  ) {
    this.sent = lastEventId;
  }

  // The newest id handed out, or the id the stream resumed after.
  get lastSent(): number {
    return this.sent;
  }

  // A live event: to send now, or null (kept until the replay is done, or already sent).
  live(event: E): E | null {
    if (this.buffer === null) return this.take(event);
    if (this.buffer.length >= this.maxBuffered) this.overflowed = true;
    else this.buffer.push(event);
    return null;
  }

  // An event read from the log, in id order: to send, or null when the client has it.
  replayed(event: E): E | null {
    return this.take(event);
  }

  // After a reset the client carries on from `id`, whatever it had.
  resetTo(id: number): void {
    this.sent = id;
  }

  // The replay is over: the live events kept meanwhile that it did not cover; later ones pass through.
  finish(): E[] {
    const kept = this.buffer ?? [];
    this.buffer = null;
    const out: E[] = [];
    for (const event of kept) if (this.take(event)) out.push(event);
    return out;
  }

  private take(event: E): E | null {
    if (event.id <= this.sent) return null;
    this.sent = event.id;
    return event;
  }
}
