#!/usr/bin/env node
// `npm run fleet:up` / `npm run fleet:down`: several hosts (network namespaces with their own
// bridge, dnsmasq, lxcpath, dockerd and agent) on this machine. The code lives in test/fleet
// (TypeScript, shared with the tests) and is loaded through Vite's module runner.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runnerImport } from 'vite';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { module } = await runnerImport(path.join(root, 'test/fleet/cli.ts'), {
  configFile: false,
  logLevel: 'error',
  root,
});
process.exitCode = await module.main(process.argv.slice(2));
