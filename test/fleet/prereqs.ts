import { existsSync } from 'node:fs';
import path from 'node:path';
import { FLEET_IMAGE, repoRoot } from './fleet.js';
import { run } from './run.js';

export interface FleetPrereqs {
  ok: boolean;
  reasons: string[];
}

// What a fleet needs on this machine. Under CI=true anything missing is an error, never a skip.
export async function checkFleetPrereqs(): Promise<FleetPrereqs> {
  const reasons: string[] = [];
  if (process.getuid?.() !== 0) reasons.push('not root (namespaces, bridges, dockerd and LXC need it)');
  const probes: [string, string[]][] = [
    ['docker', ['image', 'inspect', '--format', '{{.Id}}', FLEET_IMAGE]],
    ['dockerd', ['--version']],
    ['lxc-create', ['--version']],
    ['dnsmasq', ['--version']],
    ['nsenter', ['--version']],
    ['unshare', ['--version']],
    ['ip', ['-V']],
  ];
  await Promise.all(
    probes.map(([cmd, args]) =>
      run(cmd, args, { timeoutMs: 10_000 }).catch((err: Error) =>
        reasons.push(`${cmd}: ${err.message.split('\n')[0]}`),
      ),
    ),
  );
  for (const app of ['controller', 'agent']) {
    if (!existsSync(path.join(repoRoot(), `apps/${app}/dist/main.js`))) reasons.push(`apps/${app} is not built`);
  }
  if (process.env.CI === 'true' && reasons.length > 0) {
    throw new Error(`a fleet needs what is missing here: ${reasons.join('; ')} (run scripts/engines-up.sh)`);
  }
  return { ok: reasons.length === 0, reasons };
}
