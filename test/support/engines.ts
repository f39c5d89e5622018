import { execa } from 'execa';

export interface Engines {
  docker: boolean;
  lxc: boolean;
  reasons: string[];
}

let cached: Promise<Engines> | null = null;

// Which real engines this machine runs. Under CI a missing one is a failure, never a skip.
export function detectEngines(): Promise<Engines> {
  cached ??= (async () => {
    const reasons: string[] = [];
    const docker = await execa('docker', ['info', '--format', '{{.ServerVersion}}'], { timeout: 10_000 }).then(
      () => true,
      (err: Error) => {
        reasons.push(`docker: ${err.message.split('\n')[0]}`);
        return false;
      },
    );
    const lxc = await execa('lxc-ls', ['--version'], { timeout: 10_000 }).then(
      () => true,
      (err: Error) => {
        reasons.push(`lxc: ${err.message.split('\n')[0]}`);
        return false;
      },
    );
    if (process.env.CI === 'true' && reasons.length > 0) {
      throw new Error(`engines required under CI are missing: ${reasons.join('; ')} (run scripts/engines-up.sh)`);
    }
    return { docker, lxc, reasons };
  })();
  return cached;
}

export const TEST_IMAGE = 'corral-test/busybox:latest';
export const TEST_LABEL = 'corral.test=1';

export async function sh(cmd: string, args: string[], timeoutMs = 60_000): Promise<string> {
  const { stdout } = await execa(cmd, args, { timeout: timeoutMs });
  return stdout.trim();
}
