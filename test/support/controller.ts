import type { AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import { createApp } from '../../apps/controller/src/app.js';
import { type Config, loadConfig } from '../../apps/controller/src/config/config.js';
import { applyMigrations, defaultMigrationsDir } from '../../apps/controller/src/database/migrator.js';
import { createPrismaClient } from '../../apps/controller/src/database/prisma.js';
import type { PrismaClient } from '../../apps/controller/src/generated/prisma/client.js';
import { createTestDatabase, type TestDatabase } from './database.js';

export interface TestController {
  app: INestApplication;
  prisma: PrismaClient;
  db: TestDatabase;
  config: Config;
  baseUrl: string;
  wsUrl: string;
  get<T = unknown>(path: string): Promise<{ status: number; body: T }>;
  close(): Promise<void>;
}

// The real controller in-process, on a fresh migrated database, listening on a random port.
export async function startTestController(env: Record<string, string> = {}): Promise<TestController> {
  const db = await createTestDatabase();
  const migrationsDir = defaultMigrationsDir();
  await applyMigrations(db.url, migrationsDir);
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', CORRAL_LOG_LEVEL: 'warn', DATABASE_URL: db.url, ...env });
  const prisma = createPrismaClient(db.url);
  const app = await createApp({ config, database: { url: db.url, migrationsDir }, prisma });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    app,
    prisma,
    db,
    config,
    baseUrl,
    wsUrl: `ws://127.0.0.1:${port}/agent`,
    async get<T>(path: string) {
      const res = await fetch(`${baseUrl}${path}`);
      const text = await res.text();
      return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
    },
    async close() {
      await app.close();
      await prisma.$disconnect();
      await db.drop();
    },
  };
}
