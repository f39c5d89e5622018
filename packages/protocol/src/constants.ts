// Names that code on both sides, and the controller's SQL, spell the same way: use these, never the literals.

// Labels Corral puts on what it creates. Only objects carrying MANAGED are ever pruned.
export const CORRAL_LABELS = {
  managed: 'corral.managed',
  group: 'corral.group',
  placement: 'corral.placement',
} as const;

export const HOST_STATUSES = ['online', 'offline'] as const;
export type HostStatus = (typeof HOST_STATUSES)[number];
export const HOST_STATUS = { online: 'online', offline: 'offline' } as const satisfies Record<HostStatus, HostStatus>;

// pending -> sent -> running -> one of the final ones.
export const COMMAND_STATUSES = ['pending', 'sent', 'running', 'succeeded', 'failed', 'timed_out', 'canceled'] as const;
export type CommandStatus = (typeof COMMAND_STATUSES)[number];
export const OPEN_COMMAND_STATUSES = ['pending', 'sent', 'running'] as const satisfies readonly CommandStatus[];
export const FINAL_COMMAND_STATUSES = [
  'succeeded',
  'failed',
  'timed_out',
  'canceled',
] as const satisfies readonly CommandStatus[];
export const COMMAND_STATUS = {
  pending: 'pending',
  sent: 'sent',
  running: 'running',
  succeeded: 'succeeded',
  failed: 'failed',
  timed_out: 'timed_out',
  canceled: 'canceled',
} as const satisfies Record<CommandStatus, CommandStatus>;

// The WebSocket close code a controller replica sends to an agent's older socket when a newer
// connection of the same host said hello (to it or to another replica): the agent must not fight back.
export const SUPERSEDED_CLOSE_CODE = 4409;
