import path from 'node:path';
import { z } from 'zod';

const intFromEnv = (name: string, def: number, min: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return def;
      const n = Number(v);
      if (!Number.isInteger(n) || n < min) {
        ctx.addIssue({ code: 'custom', message: `${name} must be an integer >= ${min}, got "${v}"` });
        return z.NEVER;
      }
      return n;
    });

const EnvSchema = z.object({
  PORT: intFromEnv('PORT', 7070, 0).refine((n) => n <= 65535, 'PORT must be at most 65535'),
  HOST: z.string().default('0.0.0.0'),
  DATABASE_URL: z
    .string()
    .optional()
    .refine((v) => v === undefined || v === '' || /^postgres(ql)?:\/\//.test(v), {
      message: 'DATABASE_URL must start with postgres:// or postgresql://',
    }),
  CORRAL_DATA_DIR: z.string().default('.corral/data'),
  CORRAL_HEARTBEAT_INTERVAL_MS: intFromEnv('CORRAL_HEARTBEAT_INTERVAL_MS', 10_000, 100),
  CORRAL_OFFLINE_GRACE_MS: intFromEnv('CORRAL_OFFLINE_GRACE_MS', 30_000, 100),
  CORRAL_MAX_FRAME_BYTES: intFromEnv('CORRAL_MAX_FRAME_BYTES', 64 * 1024 * 1024, 1024),
  CORRAL_MAX_UPLOAD_BYTES: intFromEnv('CORRAL_MAX_UPLOAD_BYTES', 2 * 1024 ** 3, 1),
  CORRAL_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
});

export interface Config {
  port: number;
  host: string;
  databaseUrl: string | null;
  dataDir: string;
  heartbeatIntervalMs: number;
  offlineGraceMs: number;
  maxFrameBytes: number;
  // Largest image tarball the upload route accepts.
  maxUploadBytes: number;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

// Parsed once at start; every problem is reported at once.
export function loadConfig(env: NodeJS.ProcessEnv): Config {
  const result = EnvSchema.safeParse(env);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((i) => (i.code === 'custom' ? i.message : `${i.path.join('.')}: ${i.message}`)),
    );
  }
  const e = result.data;
  return {
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL ? e.DATABASE_URL : null,
    dataDir: path.resolve(e.CORRAL_DATA_DIR),
    heartbeatIntervalMs: e.CORRAL_HEARTBEAT_INTERVAL_MS,
    offlineGraceMs: e.CORRAL_OFFLINE_GRACE_MS,
    maxFrameBytes: e.CORRAL_MAX_FRAME_BYTES,
    maxUploadBytes: e.CORRAL_MAX_UPLOAD_BYTES,
    logLevel: e.CORRAL_LOG_LEVEL,
  };
}
