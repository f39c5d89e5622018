import { randomBytes, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { CorralClient } from '@corral/client';
import type { INestApplication } from '@nestjs/common';
import { createApp } from '../../apps/controller/src/app.js';
import { type Config, loadConfig } from '../../apps/controller/src/config/config.js';
import { applyMigrations, defaultMigrationsDir } from '../../apps/controller/src/database/migrator.js';
import { createPrismaClient } from '../../apps/controller/src/database/prisma.js';
import type { PrismaClient } from '../../apps/controller/src/generated/prisma/client.js';
import { createTestDatabase, type TestDatabase } from './database.js';
import { RawAgent } from './raw-agent.js';

// The bootstrap admin token every test controller starts with (CORRAL_ADMIN_TOKEN).
export const TEST_ADMIN_TOKEN = 'corral-test-admin-token-0123456789';

export interface HttpReply<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

export interface EnrolledAgent {
  hostId: string;
  agentId: string;
  hostname: string;
  credential: string;
  // Authorization header for the agent socket and the upload download.
  headers: Record<string, string>;
}

export interface TestController {
  app: INestApplication;
  prisma: PrismaClient;
  db: TestDatabase;
  config: Config;
  baseUrl: string;
  wsUrl: string;
  // Authorization header with the admin token.
  authHeaders: Record<string, string>;
  // The typed client, as admin.
  client: CorralClient;
  // As admin unless `headers` carries another Authorization (or `{}` with anonymous: true).
  get<T = unknown>(path: string, headers?: Record<string, string>): Promise<HttpReply<T>>;
  request<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<HttpReply<T>>;
  // An API token of `role`, made through the API.
  token(role: 'viewer' | 'operator' | 'admin', name?: string): Promise<{ id: string; secret: string }>;
  // Enrolls an agent identity through the API (a fresh enrollment token each time).
  enroll(opts?: { hostname?: string; agentId?: string }): Promise<EnrolledAgent>;
  // A RawAgent with a credential; the same agentId reuses the credential it was enrolled with.
  // Its hello() defaults to the enrolled agentId and hostname.
  agent(opts?: { hostname?: string; agentId?: string }): Promise<RawAgent>;
  // The Authorization header of an agent enrolled here (its credential), by agent id.
  agentHeaders(agentId: string): Record<string, string>;
  // Drops the database too when this controller made it, unless `keepDatabase` (its replicas go on).
  close(opts?: { keepDatabase?: boolean }): Promise<void>;
}

const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` });

// The real controller in-process, on a fresh migrated database, listening on a random port. With
// `replicaOf`, another replica on that controller's database (its own CORRAL_REPLICA_ID unless
// `env` names one); closing it leaves the database to the first.
export async function startTestController(
  env: Record<string, string> = {},
  opts: { replicaOf?: TestController } = {},
): Promise<TestController> {
  const owned = !opts.replicaOf;
  const db = opts.replicaOf?.db ?? (await createTestDatabase());
  const migrationsDir = defaultMigrationsDir();
  await applyMigrations(db.url, migrationsDir);
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    CORRAL_LOG_LEVEL: 'warn',
    DATABASE_URL: db.url,
    CORRAL_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    ...env,
  });
  const prisma = createPrismaClient(db.url);
  const app = await createApp({ config, database: { url: db.url, migrationsDir }, prisma });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  const scheme = config.tls ? 'https' : 'http';
  const baseUrl = `${scheme}://127.0.0.1:${port}`;
  const wsUrl = `${config.tls ? 'wss' : 'ws'}://127.0.0.1:${port}/agent`;
  const authHeaders = bearer(TEST_ADMIN_TOKEN);
  const enrolled = new Map<string, EnrolledAgent>();

  const client = new CorralClient({ baseUrl, token: TEST_ADMIN_TOKEN });
  const request = <T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    client.request<T>(method, path, body, headers);

  const enroll = async (opts: { hostname?: string; agentId?: string } = {}): Promise<EnrolledAgent> => {
    const agentId = opts.agentId ?? randomUUID();
    const hostname = opts.hostname ?? `raw-${randomBytes(4).toString('hex')}`;
    const token = await request<{ secret: string }>('POST', '/api/v1/enrollment-tokens', { name: `test ${hostname}` });
    if (token.status !== 201) throw new Error(`enrollment token: ${token.status} ${JSON.stringify(token.body)}`);
    const res = await request<{ hostId: string; credential: string }>(
      'POST',
      '/api/v1/enroll',
      { token: token.body.secret, agentId, hostname },
      { authorization: '' },
    );
    if (res.status !== 200) throw new Error(`enroll ${hostname}: ${res.status} ${JSON.stringify(res.body)}`);
    const agent = { ...res.body, agentId, hostname, headers: bearer(res.body.credential) };
    enrolled.set(agentId, agent);
    return agent;
  };

  return {
    app,
    prisma,
    db,
    config,
    baseUrl,
    wsUrl,
    authHeaders,
    client,
    get: <T>(path: string, headers?: Record<string, string>) => request<T>('GET', path, undefined, headers),
    request,
    async token(role, name = `test ${role}`) {
      const res = await request<{ id: string; secret: string }>('POST', '/api/v1/tokens', { name, role });
      if (res.status !== 201) throw new Error(`token: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body;
    },
    enroll,
    async agent(opts = {}) {
      const known = opts.agentId ? enrolled.get(opts.agentId) : undefined;
      const identity = known ?? (await enroll(opts));
      return RawAgent.connect(wsUrl, identity.headers, { agentId: identity.agentId, hostname: identity.hostname });
    },
    agentHeaders(agentId) {
      const known = enrolled.get(agentId);
      if (!known) throw new Error(`agent ${agentId} was not enrolled by this controller`);
      return known.headers;
    },
    async close(closeOpts = {}) {
      await app.close();
      await prisma.$disconnect();
      if (owned && !closeOpts.keepDatabase) await db.drop();
    },
  };
}
