import 'reflect-metadata';
import { writeFile } from 'node:fs/promises';
import { createApp } from './app.js';
import { loadConfig } from './config/config.js';
import { createPrismaClient } from './database/prisma.js';
import { buildOpenApiDocument } from './openapi.js';

// Writes the OpenAPI document the controller serves at /api/docs-json, without a database: the
// application is built (nothing connects until a query) and closed again. The typed client is
// generated from this file at build time.
async function main(): Promise<void> {
  const out = process.argv[2];
  const url = 'postgresql://openapi@127.0.0.1:1/openapi';
  const config = loadConfig({ DATABASE_URL: url, CORRAL_LOG_LEVEL: 'error' });
  const prisma = createPrismaClient(url);
  const app = await createApp({ config, database: { url, migrationsDir: '' }, prisma });
  const json = `${JSON.stringify(buildOpenApiDocument(app), null, 2)}\n`;
  await app.close();
  if (out) await writeFile(out, json);
  else process.stdout.write(json);
}

main().catch((err: unknown) => {
  console.error('openapi export failed:', err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
