import { describe, expect, it } from 'vitest';
import { EVENT_WINDOW, EventBus } from './event-bus.js';

const event = (n: number) => ({ type: 'container-updated', kind: 'container' as const, hostId: null, data: { n } });

describe('EventBus window', () => {
  it('replays the events after an id while they are in the window, across the wrap', () => {
    const bus = new EventBus();
    const first = bus.publish(event(0));
    expect(bus.since(first.id)).toEqual([]);
    expect(bus.since(first.id - 1)?.map((e) => e.data.n)).toEqual([0]);
    for (let n = 1; n < EVENT_WINDOW + 25; n++) bus.publish(event(n));
    // The first 25 left the window.
    expect(bus.since(first.id)).toBeNull();
    expect(bus.since(first.id + 23)).toBeNull();
    const all = bus.since(first.id + 24)!;
    expect(all).toHaveLength(EVENT_WINDOW);
    expect(all[0]!.data.n).toBe(25);
    expect(all.at(-1)!.data.n).toBe(EVENT_WINDOW + 24);
    expect(all.every((e, i) => i === 0 || e.id === all[i - 1]!.id + 1)).toBe(true);
    expect(bus.since(bus.latestId() - 3)?.map((e) => e.data.n)).toEqual([
      EVENT_WINDOW + 22,
      EVENT_WINDOW + 23,
      EVENT_WINDOW + 24,
    ]);
    // An id this process never issued.
    expect(bus.since(bus.latestId() + 1)).toBeNull();
  });
});
