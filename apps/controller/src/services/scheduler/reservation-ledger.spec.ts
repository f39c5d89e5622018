import { describe, expect, it } from 'vitest';
import { ReservationLedger } from './reservation-ledger.js';

describe('ReservationLedger', () => {
  it('lets a read replace a host only when it was sent after every reservation on it had settled', () => {
    const sut = new ReservationLedger();
    const before = sut.mark();
    sut.begin(['a']);
    const during = sut.mark();
    // Open reservation: no read may replace it, whenever it was sent.
    expect(sut.mayApply('a', during)).toBe(false);
    sut.settle(['a'], ['cmd-1']);
    // Sent before the commit was acknowledged: it may not have seen the command.
    expect(sut.mayApply('a', before)).toBe(false);
    expect(sut.mayApply('a', during)).toBe(false);
    const after = sut.mark();
    expect(sut.mayApply('a', after)).toBe(true);
    // Other hosts are free.
    expect(sut.mayApply('b', before)).toBe(true);
  });

  it('never lets an older read replace a newer one', () => {
    const sut = new ReservationLedger();
    const older = sut.mark();
    const newer = sut.mark();
    sut.applied('a', newer);
    expect(sut.mayApply('a', older)).toBe(false);
    expect(sut.mayApply('a', sut.mark())).toBe(true);
  });

  it('counts reservations per host until each settles, and remembers written commands until they end', () => {
    const sut = new ReservationLedger();
    sut.begin(['a', 'a']);
    sut.settle(['a'], ['c1']);
    expect(sut.openOn('a')).toBe(1);
    expect(sut.mayApply('a', sut.mark())).toBe(false);
    sut.settle(['a']);
    expect(sut.openOn('a')).toBe(0);
    expect(sut.wrote('c1')).toBe(true);
    expect(sut.wrote('c2')).toBe(false);
    sut.ended('c1');
    expect(sut.wrote('c1')).toBe(false);
  });
});
