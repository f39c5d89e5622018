import { describe, expect, it } from 'vitest';
import type { CommandStatus } from '../generated/prisma/enums.js';
import {
  COMMAND_STATUSES,
  canTransition,
  expiryOutcome,
  FINAL_STATUSES,
  isFinal,
  statusOfResult,
  TRANSITIONS,
  type Transition,
} from './command-states.js';

const ALL: readonly CommandStatus[] = COMMAND_STATUSES;

describe('command transitions', () => {
  it('never leave a final status', () => {
    for (const transition of Object.keys(TRANSITIONS) as Transition[]) {
      for (const status of FINAL_STATUSES) expect(canTransition(transition, status)).toBe(false);
    }
  });

  it('allow exactly the documented starting points', () => {
    const table = Object.fromEntries(
      (Object.keys(TRANSITIONS) as Transition[]).map((t) => [t, ALL.filter((s) => canTransition(t, s))]),
    );
    expect(table).toEqual({
      create: [],
      send: ['pending'],
      accept: ['pending', 'sent'],
      finish: ['pending', 'sent', 'running'],
      expire: ['pending', 'sent', 'running'],
      cancel: ['pending'],
      requestCancel: ['sent', 'running'],
      output: ['pending', 'sent', 'running'],
    });
    expect(ALL.filter(isFinal)).toEqual(['succeeded', 'failed', 'timed_out', 'canceled']);
  });

  it('read the final status from the agent result', () => {
    const error = (code: 'canceled' | 'timeout' | 'engine_error') => ({ code, message: 'x', retryable: false });
    expect(statusOfResult(true, null)).toBe('succeeded');
    expect(statusOfResult(false, error('canceled'))).toBe('canceled');
    expect(statusOfResult(false, error('timeout'))).toBe('timed_out');
    expect(statusOfResult(false, error('engine_error'))).toBe('failed');
  });

  it('end an expired command as timed_out, or canceled when a cancel was asked for', () => {
    expect(expiryOutcome(false)).toMatchObject({ status: 'timed_out', error: { code: 'timeout', retryable: true } });
    expect(expiryOutcome(true)).toMatchObject({ status: 'canceled', error: { code: 'canceled', retryable: false } });
  });
});
