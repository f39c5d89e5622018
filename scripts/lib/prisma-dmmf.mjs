// Prisma's data model (DMMF) of a schema file, from the WebAssembly build of prisma-schema: no
// native engine, no download. Shared by the Kysely type generator and the kind registry's check.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const schemaPath = path.join(repoRoot, 'prisma/schema.prisma');

export async function loadDatamodel(file = schemaPath) {
  const wasm = require('@prisma/prisma-schema-wasm');
  const text = await readFile(file, 'utf8');
  const dmmf = JSON.parse(
    wasm.get_dmmf(JSON.stringify({ prismaSchema: [[path.basename(file), text]], noColor: true })),
  );
  return dmmf.datamodel;
}
