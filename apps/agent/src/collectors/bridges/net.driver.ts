import { readFile } from 'node:fs/promises';
import { execa } from 'execa';
import { runCommand } from '../../lib/run.js';

// Network state through netlink (iproute2 JSON), never /sys, which shows the namespace that mounted it.
export interface NetDriver {
  // `ip -j -d addr show`: every link with its details, master and addresses in one dump.
  addrShow(): Promise<string>;
  // net.ipv4.ip_forward as text ("0" or "1").
  ipForward(): Promise<string>;
  // Runs `ip monitor link address` until stopped; onEvent per change line, onExit when the process ends.
  monitor(onEvent: () => void, onExit: (error: Error) => void): () => void;
}

export interface NetDriverOptions {
  // A named network namespace (ip netns) to read instead of the agent's own.
  netns?: string;
  timeoutMs?: number;
}

export function createNetDriver(options: NetDriverOptions = {}): NetDriver {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const nsArgs = options.netns ? ['-n', options.netns] : [];
  return {
    async addrShow() {
      return (await runCommand('ip', [...nsArgs, '-j', '-d', 'addr', 'show'], { timeoutMs })).stdout;
    },
    async ipForward() {
      if (!options.netns) return readFile('/proc/sys/net/ipv4/ip_forward', 'utf8');
      // /proc/sys/net answers for the reader's namespace, so read it from inside the target one.
      const nsPath = `/var/run/netns/${options.netns}`;
      return (await runCommand('nsenter', [`--net=${nsPath}`, 'sysctl', '-n', 'net.ipv4.ip_forward'], { timeoutMs }))
        .stdout;
    },
    monitor(onEvent, onExit) {
      // A deliberate long-running wait: no timeout.
      const child = execa('ip', [...nsArgs, '-o', 'monitor', 'link', 'address'], {
        stdin: 'ignore',
        stderr: 'pipe',
        buffer: false,
      });
      let stopped = false;
      child.stdout?.on('data', () => onEvent());
      child.then(
        () => {
          if (!stopped) onExit(new Error('ip monitor exited'));
        },
        (error: unknown) => {
          if (!stopped) onExit(error instanceof Error ? error : new Error(String(error)));
        },
      );
      return () => {
        stopped = true;
        child.kill();
      };
    },
  };
}
