#!/usr/bin/env node
// Generates the typed client's API types from the OpenAPI document the controller serves: the
// controller (built first) writes its document without a database, openapi-typescript turns it
// into packages/client/src/generated/openapi.ts.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString } from 'openapi-typescript';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = path.join(root, 'packages/client/src/generated');
const docPath = path.join(outDir, 'openapi.json');
mkdirSync(outDir, { recursive: true });

const exported = spawnSync(process.execPath, [path.join(root, 'apps/controller/dist/openapi-export.js'), docPath], {
  stdio: 'inherit',
});
if (exported.status !== 0) {
  console.error('client-generate: the controller could not write its OpenAPI document (is it built?)');
  process.exit(1);
}
const ast = await openapiTS(new URL(`file://${docPath}`));
writeFileSync(
  path.join(outDir, 'openapi.ts'),
  `// Generated from the controller's OpenAPI document by scripts/client-generate.mjs; do not edit.\n${astToString(ast)}`,
);
