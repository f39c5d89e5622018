import { describe, expect, it } from 'vitest';
import { batchOf, eventId, planResume, RESET_REASONS, ReplayMerge } from './event-replay.js';

const ev = (batch: number, i: number) => ({ id: eventId(batch, i) });
const ids = (events: ({ id: number } | null)[]) => events.filter((e) => e !== null).map((e) => e!.id);

describe('event ids', () => {
  it('are the batch id and the place in the batch', () => {
    expect(eventId(42, 7)).toBe(42_000_007);
    expect(batchOf(42_000_007)).toBe(42);
    expect(batchOf(42_999_999)).toBe(42);
    // Exact as a JS number (and within the 16 digits Last-Event-ID takes) for nine billion batches.
    expect(Number.isSafeInteger(eventId(9_000_000_000, 999_999))).toBe(true);
  });
});

describe('ReplayMerge', () => {
  it('sends the replay, then the live events kept meanwhile that it did not cover, each once and in order', () => {
    const sut = new ReplayMerge<{ id: number }>(eventId(10, 1), 100);
    // Live events of batches 12 and 13 arrive while batches 10 and 11 are read.
    expect(sut.live(ev(12, 0))).toBeNull();
    expect(sut.live(ev(12, 1))).toBeNull();
    const replayed = [ev(10, 0), ev(10, 1), ev(10, 2), ev(11, 0)].map((e) => sut.replayed(e));
    // What the client had (up to 10:1) is not sent again.
    expect(ids(replayed)).toEqual([eventId(10, 2), eventId(11, 0)]);
    expect(sut.live(ev(13, 0))).toBeNull();
    expect(ids(sut.finish())).toEqual([eventId(12, 0), eventId(12, 1), eventId(13, 0)]);
    // From now on live events pass straight through.
    expect(sut.live(ev(14, 0))).toEqual(ev(14, 0));
    expect(sut.overflowed).toBe(false);
  });

  it('drops live events the replay already sent (the log was read past the subscription point)', () => {
    const sut = new ReplayMerge<{ id: number }>(eventId(5, 0), 100);
    sut.live(ev(6, 0));
    sut.live(ev(7, 0));
    expect(ids([ev(6, 0), ev(7, 0)].map((e) => sut.replayed(e)))).toEqual([eventId(6, 0), eventId(7, 0)]);
    sut.live(ev(8, 0));
    expect(ids(sut.finish())).toEqual([eventId(8, 0)]);
  });

  it('skips live events up to an id the client is already past (it read them from another replica)', () => {
    const sut = new ReplayMerge<{ id: number }>(eventId(9, 3), 100);
    for (const e of [ev(9, 2), ev(9, 3), ev(9, 4), ev(10, 0)]) sut.live(e);
    expect(ids(sut.finish())).toEqual([eventId(9, 4), eventId(10, 0)]);
  });

  it('after a reset carries on from the id given with it', () => {
    const sut = new ReplayMerge<{ id: number }>(eventId(99, 0), 100);
    sut.live(ev(20, 0));
    sut.live(ev(21, 0));
    sut.resetTo(eventId(20, 0));
    expect(ids(sut.finish())).toEqual([eventId(21, 0)]);
  });

  it('says when more live events wait than it may keep', () => {
    const sut = new ReplayMerge<{ id: number }>(0, 2);
    sut.live(ev(1, 0));
    sut.live(ev(2, 0));
    expect(sut.overflowed).toBe(false);
    sut.live(ev(3, 0));
    expect(sut.overflowed).toBe(true);
  });
});

describe('planResume', () => {
  const facts = { latestEventId: eventId(50, 4), oldestBatch: 20, newestBatch: 50 };

  it('replays from the batch of the id while that batch is kept', () => {
    expect(planResume({ ...facts, lastEventId: eventId(30, 2) })).toEqual({ action: 'replay', fromBatch: 30 });
    expect(planResume({ ...facts, lastEventId: eventId(20, 0) })).toEqual({ action: 'replay', fromBatch: 20 });
  });

  it('goes live when the client has everything this replica delivered, or more', () => {
    expect(planResume({ ...facts, lastEventId: eventId(50, 4) })).toEqual({ action: 'live' });
    // Written by another replica and not yet read by this one.
    expect(planResume({ ...facts, newestBatch: 51, lastEventId: eventId(51, 0) })).toEqual({ action: 'live' });
  });

  it('resets when the batches after the id may have been dropped, or the id was never written', () => {
    expect(planResume({ ...facts, lastEventId: eventId(19, 9) })).toEqual({
      action: 'reset',
      reason: RESET_REASONS.gone,
    });
    expect(planResume({ ...facts, oldestBatch: null, newestBatch: null, lastEventId: eventId(30, 0) })).toEqual({
      action: 'reset',
      reason: RESET_REASONS.gone,
    });
    // A clock-based id from a controller before the durable log.
    expect(planResume({ ...facts, lastEventId: 1_765_000_000_000_000 })).toEqual({
      action: 'reset',
      reason: RESET_REASONS.unknown,
    });
    expect(planResume({ ...facts, lastEventId: eventId(51, 0) })).toEqual({
      action: 'reset',
      reason: RESET_REASONS.unknown,
    });
  });

  it('on an empty log, a client at 0 has missed nothing', () => {
    expect(planResume({ lastEventId: 0, latestEventId: 0, oldestBatch: null, newestBatch: null })).toEqual({
      action: 'live',
    });
  });
});
