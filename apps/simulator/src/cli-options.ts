import { parseArgs } from 'node:util';
import type { FleetOptions } from './fleet/fleet.js';

export interface CliOptions {
  fleet: FleetOptions;
  durationSeconds: number;
  progressEveryMs: number;
}

export const USAGE = `usage: corral-simulator --controller ws://127.0.0.1:7070/agent[,ws://...] [options]
  --controller URLS      the agent endpoint, or a comma list of replicas' endpoints: each host starts on the
                         first and moves to the next at once when its connection drops
  --hosts N              simulated hosts in this process (default 100, at most 20000)
  --containers M         containers per host (default 50)
  --churn R              changes per second across the fleet: state flips and lease renewals (default 0)
  --duration S           seconds to run before stopping (default 60, at most 86400)
  --seed N               seed of the synthetic inventory (default 1)
  --host-offset N        first host index, to run several processes with one seed (default 0)
  --lxc-share F          share of containers that are LXC (default 0.3)
  --lease-share F        share of churn that renews leases (default 0.3)
  --connect-rate N       connection attempts per second (default 1000)
  --window N             unacknowledged deltas per agent (default 32)
  --command-delay MS     delay before answering a command (default 50)
  --progress-every MS    progress line interval (default 2000)
  --enrollment-token T   enrollment token with at least --hosts uses (default: $CORRAL_ENROLLMENT_TOKEN);
                         each simulated host enrolls once, then connects with its own credential`;

function num(name: string, value: string | undefined, def: number, min: number, max: number): number {
  if (value === undefined) return def;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max)
    throw new Error(`--${name} must be a number in [${min}, ${max}], got "${value}"`);
  return n;
}

export function parseCliOptions(argv: string[], env: NodeJS.ProcessEnv = {}): CliOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      controller: { type: 'string' },
      hosts: { type: 'string' },
      containers: { type: 'string' },
      churn: { type: 'string' },
      duration: { type: 'string' },
      seed: { type: 'string' },
      'host-offset': { type: 'string' },
      'lxc-share': { type: 'string' },
      'lease-share': { type: 'string' },
      'connect-rate': { type: 'string' },
      window: { type: 'string' },
      'command-delay': { type: 'string' },
      'progress-every': { type: 'string' },
      'enrollment-token': { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) throw new Error(USAGE);
  const url = values.controller;
  if (!url?.split(',').every((u) => /^wss?:\/\/\S+$/.test(u.trim())))
    throw new Error(`--controller must be a ws:// URL of the agent endpoint, or a comma list of them\n${USAGE}`);
  return {
    fleet: {
      url,
      enrollmentToken: values['enrollment-token'] ?? env.CORRAL_ENROLLMENT_TOKEN ?? null,
      hosts: num('hosts', values.hosts, 100, 1, 20_000),
      containersPerHost: num('containers', values.containers, 50, 0, 1000),
      churnPerSecond: num('churn', values.churn, 0, 0, 1_000_000),
      seed: num('seed', values.seed, 1, 0, 2 ** 31),
      hostOffset: num('host-offset', values['host-offset'], 0, 0, 200_000),
      lxcShare: num('lxc-share', values['lxc-share'], 0.3, 0, 1),
      leaseShare: num('lease-share', values['lease-share'], 0.3, 0, 1),
      connectPerSecond: num('connect-rate', values['connect-rate'], 1000, 1, 100_000),
      window: num('window', values.window, 32, 1, 10_000),
      commandDelayMs: num('command-delay', values['command-delay'], 50, 0, 3_600_000),
    },
    durationSeconds: num('duration', values.duration, 60, 1, 86_400),
    progressEveryMs: num('progress-every', values['progress-every'], 2000, 100, 3_600_000),
  };
}
