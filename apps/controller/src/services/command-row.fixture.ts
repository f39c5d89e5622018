import type { CommandRow } from '../repositories/command.repository.js';

// A stored command as unit tests need one: a Docker container restart on one host, nothing run yet.
export const FIXTURE_HOST = '0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9';

export const commandRow = (status: CommandRow['status'], over: Partial<CommandRow> = {}): CommandRow => ({
  id: '6f0c7a53-6f3e-4b8e-9a7e-2a1b3c4d5e6f',
  hostId: FIXTURE_HOST,
  op: 'container.restart',
  target: { kind: 'container', runtime: 'docker', id: 'abc', lxcPath: null },
  targetKind: 'container',
  targetId: null,
  params: {},
  status,
  result: null,
  error: null,
  output: '',
  outputTruncated: false,
  requestedBy: null,
  idempotencyKey: null,
  requestHash: null,
  createdAt: new Date('2026-11-29T07:00:00Z'),
  sentAt: null,
  startedAt: null,
  finishedAt: null,
  cancelRequestedAt: null,
  deadline: new Date('2026-11-29T07:05:00Z'),
  ...over,
});
