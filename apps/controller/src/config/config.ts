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
  // auto: text on a terminal, JSON lines otherwise.
  CORRAL_LOG_FORMAT: z.enum(['auto', 'json', 'text']).default('auto'),
  CORRAL_METRICS_TOKEN: z
    .string()
    .optional()
    .refine((v) => v === undefined || v === '' || (v.length >= 16 && /^[\x21-\x7e]+$/.test(v)), {
      message: 'CORRAL_METRICS_TOKEN must be at least 16 visible ASCII characters (try: openssl rand -base64 32)',
    }),
  CORRAL_ADMIN_TOKEN: z
    .string()
    .optional()
    .refine((v) => v === undefined || v === '' || (v.length >= 16 && /^[\x21-\x7e]+$/.test(v)), {
      message: 'CORRAL_ADMIN_TOKEN must be at least 16 visible ASCII characters (try: openssl rand -base64 32)',
    }),
  // 32 bytes, base64 or hex: the key registry secrets are encrypted under (else CORRAL_DATA_DIR/secret.key).
  CORRAL_SECRET_KEY: z
    .string()
    .optional()
    .refine((v) => v === undefined || v === '' || decodeSecretKey(v) !== null, {
      message: 'CORRAL_SECRET_KEY must be 32 bytes as base64 or 64 hex digits (try: openssl rand -base64 32)',
    }),
  CORRAL_TLS_CERT: z.string().optional(),
  CORRAL_TLS_KEY: z.string().optional(),
  CORRAL_AGENT_FRAMES_PER_SECOND: intFromEnv('CORRAL_AGENT_FRAMES_PER_SECOND', 200, 1),
  CORRAL_AGENT_FRAME_BURST: intFromEnv('CORRAL_AGENT_FRAME_BURST', 1000, 1),
  CORRAL_AGENT_MAX_INVALID_FRAMES: intFromEnv('CORRAL_AGENT_MAX_INVALID_FRAMES', 20, 1),
  CORRAL_SNAPSHOTS_IN_FLIGHT: intFromEnv('CORRAL_SNAPSHOTS_IN_FLIGHT', 1000, 1),
  CORRAL_SSE_BUFFER_BYTES: intFromEnv('CORRAL_SSE_BUFFER_BYTES', 4 * 1024 * 1024, 16 * 1024),
  CORRAL_STREAMS_PER_TOKEN: intFromEnv('CORRAL_STREAMS_PER_TOKEN', 16, 1),
  CORRAL_REQUESTS_PER_SECOND_PER_TOKEN: intFromEnv('CORRAL_REQUESTS_PER_SECOND_PER_TOKEN', 1000, 1),
  CORRAL_REQUEST_BURST_PER_TOKEN: intFromEnv('CORRAL_REQUEST_BURST_PER_TOKEN', 2000, 1),
  CORRAL_MAX_RESULT_BYTES: intFromEnv('CORRAL_MAX_RESULT_BYTES', 16 * 1024 * 1024, 1024),
  CORRAL_REPLICA_ID: z
    .string()
    .optional()
    .refine((v) => v === undefined || v === '' || /^[A-Za-z0-9._-]{1,100}$/.test(v), {
      message: 'CORRAL_REPLICA_ID must be 1-100 letters, digits, dots, dashes or underscores',
    }),
  CORRAL_REPLICA_URL: z
    .string()
    .optional()
    .refine((v) => v === undefined || v === '' || /^https?:\/\/[^/\s]+\/?$/.test(v), {
      message: 'CORRAL_REPLICA_URL must be http(s)://host:port, where the other replicas reach this one',
    }),
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
  // auto: text when stdout is a terminal, JSON lines otherwise.
  logFormat: 'auto' | 'json' | 'text';
  // Bearer token /metrics asks for; null: /metrics is open.
  metricsToken: string | null;
  // Bootstrap admin API token; null: the first start makes one and prints it once.
  adminToken: string | null;
  // PEM files; both set: HTTPS and WSS on the one port.
  tls: { certFile: string; keyFile: string } | null;
  // Per agent connection: token bucket of frames, and how many invalid frames a minute close it.
  agentFramesPerSecond: number;
  agentFrameBurst: number;
  agentMaxInvalidFrames: number;
  // Agents told to send their full snapshot and not yet done with it; the others wait for welcome.
  snapshotsInFlight: number;
  // Unsent event stream output one client may hold; past it the client is cut off and its memory freed.
  sseBufferBytes: number;
  // Per API token: open event streams, and a token bucket of requests.
  streamsPerToken: number;
  requestsPerSecondPerToken: number;
  requestBurstPerToken: number;
  // Largest command result stored, whatever the command's own cap (its maxOutputBytes) allows.
  maxResultBytes: number;
  // Key of registry secrets (CORRAL_SECRET_KEY); absent: a key file under dataDir, made at first start.
  secretKey?: Buffer | null;
  // This process among the replicas on the database (absent: made up at start), and where the
  // others reach it (absent: 127.0.0.1 and the port it listens on).
  replicaId?: string | null;
  replicaUrl?: string | null;
}

// 32 bytes from base64, base64url or hex; null when it is none of them.
export function decodeSecretKey(text: string): Buffer | null {
  const t = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(t)) return Buffer.from(t, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(t)) {
    const key = Buffer.from(t.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    return key.length === 32 ? key : null;
  }
  return null;
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
  const cert = e.CORRAL_TLS_CERT || null;
  const key = e.CORRAL_TLS_KEY || null;
  if (Boolean(cert) !== Boolean(key)) {
    throw new ConfigError(['CORRAL_TLS_CERT and CORRAL_TLS_KEY go together: set both (PEM files) or neither']);
  }
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
    logFormat: e.CORRAL_LOG_FORMAT,
    metricsToken: e.CORRAL_METRICS_TOKEN ? e.CORRAL_METRICS_TOKEN : null,
    adminToken: e.CORRAL_ADMIN_TOKEN ? e.CORRAL_ADMIN_TOKEN : null,
    tls: cert && key ? { certFile: path.resolve(cert), keyFile: path.resolve(key) } : null,
    agentFramesPerSecond: e.CORRAL_AGENT_FRAMES_PER_SECOND,
    agentFrameBurst: e.CORRAL_AGENT_FRAME_BURST,
    agentMaxInvalidFrames: e.CORRAL_AGENT_MAX_INVALID_FRAMES,
    snapshotsInFlight: e.CORRAL_SNAPSHOTS_IN_FLIGHT,
    sseBufferBytes: e.CORRAL_SSE_BUFFER_BYTES,
    streamsPerToken: e.CORRAL_STREAMS_PER_TOKEN,
    requestsPerSecondPerToken: e.CORRAL_REQUESTS_PER_SECOND_PER_TOKEN,
    requestBurstPerToken: e.CORRAL_REQUEST_BURST_PER_TOKEN,
    maxResultBytes: e.CORRAL_MAX_RESULT_BYTES,
    replicaId: e.CORRAL_REPLICA_ID || null,
    replicaUrl: e.CORRAL_REPLICA_URL ? e.CORRAL_REPLICA_URL.replace(/\/$/, '') : null,
    secretKey: e.CORRAL_SECRET_KEY ? decodeSecretKey(e.CORRAL_SECRET_KEY) : null,
  };
}
