// Close codes in the private range (4000-4999) so agents can tell them apart.
export const CLOSE = {
  protocolVersion: 4000,
  replaced: 4001,
  helloTimeout: 4002,
  heartbeatTimeout: 4003,
  internal: 1011,
} as const;
