// `prisma generate` from the repository root, wherever it is called from. The CLI insists on a
// native schema-engine binary it cannot download here; generate never runs it, so any existing
// file satisfies the check.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = createRequire(path.join(root, 'package.json')).resolve('prisma/build/index.js');

const result = spawnSync(process.execPath, [cli, 'generate', ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? process.execPath },
});
if (result.error) throw result.error;
process.exit(result.status ?? 1);
