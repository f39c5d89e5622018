import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../lib/logger.js';
import { BridgesCollector } from './bridges.collector.js';
import type { NetDriver } from './net.driver.js';

const addrShow = readFileSync(new URL('../../../../../test/fixtures/net/ip-d-addr-show.json', import.meta.url), 'utf8');

function fakeNet(): NetDriver & { exits: ((e: Error) => void)[]; events: (() => void)[] } {
  const exits: ((e: Error) => void)[] = [];
  const events: (() => void)[] = [];
  return {
    exits,
    events,
    addrShow: vi.fn(async () => addrShow),
    ipForward: vi.fn(async () => '1\n'),
    monitor: vi.fn((onEvent: () => void, onExit: (e: Error) => void) => {
      events.push(onEvent);
      exits.push(onExit);
      return () => {};
    }),
  };
}

describe('BridgesCollector', () => {
  it('collects bridges', async () => {
    const sut = new BridgesCollector({ driver: fakeNet(), logger: silentLogger });
    const { bridges } = await sut.collect();
    expect(bridges!.map((b) => b.name)).toEqual(['br-50a0e3083e7b', 'docker0', 'lxcbr0']);
  });

  it('throws when ip fails', async () => {
    const driver = fakeNet();
    driver.addrShow = async () => {
      throw new Error('ip: not found');
    };
    const sut = new BridgesCollector({ driver, logger: silentLogger });
    await expect(sut.collect()).rejects.toThrow('Bridges: could not read links: ip: not found');
  });

  it('signals monitor lines and restarts the monitor when it exits', async () => {
    const driver = fakeNet();
    const sut = new BridgesCollector({ driver, logger: silentLogger, restart: { baseMs: 5, maxMs: 10 } });
    const onChange = vi.fn();
    const stop = sut.watch(onChange);
    driver.events[0]!();
    expect(onChange).toHaveBeenCalledTimes(1);
    driver.exits[0]!(new Error('ip monitor exited'));
    expect(onChange).toHaveBeenCalledTimes(2);
    await vi.waitFor(() => expect(driver.monitor).toHaveBeenCalledTimes(2));
    stop();
  });
});
