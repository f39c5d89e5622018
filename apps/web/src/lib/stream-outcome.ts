import type { StreamOutcome } from '@corral/client';

// How an exec or log stream ended, in words for the page.
export function outcomeText(outcome: StreamOutcome): string {
  if (outcome.kind === 'exit') {
    if (outcome.exitCode !== null) return `exited with code ${outcome.exitCode}`;
    return outcome.signal ? `ended by signal ${outcome.signal}` : 'ended';
  }
  if (outcome.kind === 'error') return `ended: ${outcome.message}`;
  if (outcome.code === 1000) return 'disconnected';
  return `the connection closed (code ${outcome.code}${outcome.reason ? `: ${outcome.reason}` : ''})`;
}
