export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
}

// Exponential backoff with full jitter, so agents that lost the same daemon do not retry in step.
export function backoffDelay(attempt: number, { baseMs, maxMs }: BackoffOptions, random = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
