import { SUPERSEDED_CLOSE_CODE } from '@corral/protocol';

// Close codes in the private range (4000-4999) so agents can tell them apart.
export const CLOSE = {
  protocolVersion: 4000,
  replaced: 4001,
  helloTimeout: 4002,
  heartbeatTimeout: 4003,
  // The host's credential was revoked (or the host removed): do not reconnect with it.
  revoked: 4004,
  // The credential belongs to another host than the hello names.
  credentialMismatch: 4005,
  // The hello names another hostname than the one the host enrolled with.
  hostnameMismatch: 4006,
  // Too many frames that failed validation in a short time.
  tooManyInvalidFrames: 4008,
  // Frames kept arriving far faster than the per-connection rate limit.
  rateLimited: 4009,
  // A newer connection of the same host said hello (to this replica or another): this one is stale.
  superseded: SUPERSEDED_CLOSE_CODE,
  tooBig: 1009,
  internal: 1011,
} as const;
