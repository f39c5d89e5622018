#!/usr/bin/env node
// After the CLI's build: its entry is executable, and the shell completion scripts are written
// beside it (apps/cli/completions), so `npm pack` ships them.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const cli = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../apps/cli');
const entry = path.join(cli, 'dist/main.js');
chmodSync(entry, 0o755);
mkdirSync(path.join(cli, 'completions'), { recursive: true });
for (const [shell, file] of [
  ['bash', 'corral.bash'],
  ['zsh', '_corral'],
]) {
  const script = execFileSync(process.execPath, [entry, 'completion', shell], {
    env: { ...process.env, NO_COLOR: '1' },
  });
  writeFileSync(path.join(cli, 'completions', file), script);
}
