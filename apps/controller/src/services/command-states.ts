import {
  type CommandError,
  FINAL_COMMAND_STATUSES,
  OPEN_COMMAND_STATUSES,
  COMMAND_STATUSES as PROTOCOL_STATUSES,
} from '@corral/protocol';
import type { CommandStatus } from '../generated/prisma/enums.js';

// The command state machine: its statuses and, per transition, the statuses it may start from and
// where it goes. CommandLifecycle is the only writer of a command's status and goes through this
// table; the repository turns `from` into `UPDATE ... WHERE status IN (...)`, so a late frame can
// never overwrite a final status.

export const COMMAND_STATUSES = PROTOCOL_STATUSES satisfies readonly CommandStatus[];
export const OPEN_STATUSES = OPEN_COMMAND_STATUSES satisfies readonly CommandStatus[];
export const FINAL_STATUSES = FINAL_COMMAND_STATUSES satisfies readonly CommandStatus[];
export type OpenStatus = (typeof OPEN_STATUSES)[number];
export type FinalStatus = (typeof FINAL_STATUSES)[number];

export const isFinal = (status: CommandStatus): status is FinalStatus =>
  (FINAL_STATUSES as readonly CommandStatus[]).includes(status);

export const TRANSITIONS = {
  // A new command: sent when its host's socket is open (its frame goes out next), else pending.
  create: { from: [], to: ['pending', 'sent'] },
  // pending -> sent: the command frame went to the agent's socket.
  send: { from: ['pending'], to: ['sent'] },
  // -> running: command.accepted (a pending one too, should the frame beat our own update).
  accept: { from: ['pending', 'sent'], to: ['running'] },
  // -> final: command.result.
  finish: { from: OPEN_STATUSES, to: FINAL_STATUSES },
  // -> timed_out, or canceled when a cancel was asked for: the deadline passed.
  expire: { from: OPEN_STATUSES, to: ['timed_out', 'canceled'] },
  // -> canceled at once: it never left the controller.
  cancel: { from: ['pending'], to: ['canceled'] },
  // status kept, cancelRequestedAt set and command.cancel sent: the agent's result decides.
  requestCancel: { from: ['sent', 'running'], to: ['sent', 'running'] },
  // output appended while the command is open; no status change.
  output: { from: OPEN_STATUSES, to: OPEN_STATUSES },
} as const satisfies Record<string, { from: readonly CommandStatus[]; to: readonly CommandStatus[] }>;

export type Transition = keyof typeof TRANSITIONS;

export function canTransition(transition: Transition, from: CommandStatus): boolean {
  return (TRANSITIONS[transition].from as readonly CommandStatus[]).includes(from);
}

// The final status an agent's command.result stands for.
export function statusOfResult(ok: boolean, error: CommandError | null): FinalStatus {
  if (ok) return 'succeeded';
  if (error?.code === 'canceled') return 'canceled';
  if (error?.code === 'timeout') return 'timed_out';
  return 'failed';
}

export const EXPIRED_ERROR: CommandError = {
  code: 'timeout',
  message: 'the deadline passed before the agent reported a result',
  retryable: true,
};
export const EXPIRED_AFTER_CANCEL_ERROR: CommandError = {
  code: 'canceled',
  message: 'canceled; the agent did not confirm that it stopped, so the operation may have taken effect',
  retryable: false,
};
export const CANCELED_PENDING_ERROR: CommandError = {
  code: 'canceled',
  message: 'canceled before it was sent to the agent',
  retryable: false,
};

// What the deadline sweeper records for a command whose deadline passed.
export function expiryOutcome(cancelRequested: boolean): { status: FinalStatus; error: CommandError } {
  return cancelRequested
    ? { status: 'canceled', error: EXPIRED_AFTER_CANCEL_ERROR }
    : { status: 'timed_out', error: EXPIRED_ERROR };
}
