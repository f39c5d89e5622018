import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CreateGrants, HostLabels } from '@corral/protocol';
import { z } from 'zod';
import { parseControllerUrls } from './controller-urls.parser.js';
import { parseLabelList } from './labels.parser.js';
import { DEFAULT_LXC_TEMPLATE_DIR, loadAgentPolicy } from './policy/agent-policy.js';
import { normalizeFingerprint } from './session/controller-tls.js';

const colonList = z
  .string()
  .optional()
  .transform((v) =>
    v === undefined
      ? undefined
      : v
          .split(':')
          .map((s) => s.trim())
          .filter(Boolean),
  );

const positiveInt = (name: string, def: number, min: number) =>
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
  // One controller, or several replicas on one database as a comma list.
  CORRAL_CONTROLLER_URL: z
    .string()
    .default('ws://127.0.0.1:7070/agent')
    .transform((v, ctx) => {
      const parsed = parseControllerUrls(v);
      if (parsed.ok) return parsed.urls;
      for (const problem of parsed.problems) ctx.addIssue({ code: 'custom', message: problem });
      return z.NEVER;
    }),
  CORRAL_STATE_DIR: z.string().optional(),
  CORRAL_DOCKER_SOCKET: z.string().default('/var/run/docker.sock'),
  CORRAL_LXC_PATHS: colonList,
  CORRAL_LEASE_FILES: colonList,
  CORRAL_HOSTNAME: z.string().optional(),
  CORRAL_LABELS: z
    .string()
    .optional()
    .transform((v, ctx) => {
      const parsed = parseLabelList(v ?? '');
      if (parsed.ok) return parsed.labels;
      for (const problem of parsed.problems) {
        ctx.addIssue({ code: 'custom', message: `CORRAL_LABELS (key=value,key=value): ${problem}` });
      }
      return z.NEVER;
    }),
  CORRAL_RESYNC_INTERVAL_MS: positiveInt('CORRAL_RESYNC_INTERVAL_MS', 30_000, 1_000),
  // How often the host doctor runs its checks on its own (it also runs on demand).
  CORRAL_DOCTOR_INTERVAL_MS: positiveInt('CORRAL_DOCTOR_INTERVAL_MS', 180_000, 1_000),
  CORRAL_POLL_INTERVAL_MS: positiveInt('CORRAL_POLL_INTERVAL_MS', 2_000, 100),
  CORRAL_OUTBOX_LIMIT: positiveInt('CORRAL_OUTBOX_LIMIT', 10_000, 1),
  CORRAL_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  CORRAL_ENROLLMENT_TOKEN: z.string().optional(),
  CORRAL_ENROLLMENT_TOKEN_FILE: z.string().optional(),
  CORRAL_CA_FILE: z
    .string()
    .optional()
    .superRefine((v, ctx) => {
      const problem = v ? caFileProblem(path.resolve(v)) : null;
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
  CORRAL_CONTROLLER_FINGERPRINT: z
    .string()
    .optional()
    .refine((v) => !v || normalizeFingerprint(v) !== null, {
      message: 'CORRAL_CONTROLLER_FINGERPRINT must be a SHA-256 fingerprint: 64 hex digits, colons optional',
    }),
  CORRAL_AGENT_POLICY: z
    .string()
    .optional()
    .transform((v, ctx) => {
      const loaded = loadAgentPolicy(v);
      if (loaded.ok) return { grants: loaded.grants, source: loaded.source };
      ctx.addIssue({ code: 'custom', message: loaded.problem });
      return z.NEVER;
    }),
  CORRAL_LXC_TEMPLATE_DIR: z.string().default(DEFAULT_LXC_TEMPLATE_DIR),
});

export interface AgentConfig {
  // At least one; the agent connects to one at a time and fails over to the others.
  controllerUrls: string[];
  stateDir: string;
  dockerSocket: string;
  lxcPaths: string[];
  leaseFiles: string[];
  hostname: string | null;
  // Host labels from CORRAL_LABELS, sent in hello; the scheduler's constraints match them.
  labels: HostLabels;
  resyncIntervalMs: number;
  doctorIntervalMs: number;
  pollIntervalMs: number;
  // Unacknowledged deltas kept for replay after a reconnect; past it the agent resyncs with a snapshot.
  outboxLimit: number;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  // Used once, when the state dir holds no credential yet.
  enrollmentToken: string | null;
  caFile: string | null;
  // Upper-case hex, no colons.
  controllerFingerprint: string | null;
  // What creates may do on this host, checked again here whatever the controller allowed.
  policy: CreateGrants;
  policySource: string;
  // Where LXC keeps its templates; the installed ones are reported and are the default allow-list.
  lxcTemplateDir: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid agent configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

function defaultStateDir(): string {
  if (process.getuid?.() === 0) return '/var/lib/corral/agent';
  return path.join(os.homedir(), '.local', 'state', 'corral-agent');
}

// Parsed once at start; every problem is listed at once.
export function loadAgentConfig(env: NodeJS.ProcessEnv): AgentConfig {
  const result = EnvSchema.safeParse(env);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((i) => (i.code === 'custom' ? i.message : `${i.path.join('.')}: ${i.message}`)),
    );
  }
  const e = result.data;
  return {
    controllerUrls: e.CORRAL_CONTROLLER_URL,
    stateDir: path.resolve(e.CORRAL_STATE_DIR ?? defaultStateDir()),
    dockerSocket: e.CORRAL_DOCKER_SOCKET,
    lxcPaths: e.CORRAL_LXC_PATHS ?? ['/var/lib/lxc'],
    leaseFiles: e.CORRAL_LEASE_FILES ?? ['/var/lib/misc/dnsmasq.*.leases'],
    hostname: e.CORRAL_HOSTNAME ?? null,
    labels: e.CORRAL_LABELS,
    resyncIntervalMs: e.CORRAL_RESYNC_INTERVAL_MS,
    doctorIntervalMs: e.CORRAL_DOCTOR_INTERVAL_MS,
    pollIntervalMs: e.CORRAL_POLL_INTERVAL_MS,
    outboxLimit: e.CORRAL_OUTBOX_LIMIT,
    logLevel: e.CORRAL_LOG_LEVEL,
    enrollmentToken: e.CORRAL_ENROLLMENT_TOKEN || readTokenFile(e.CORRAL_ENROLLMENT_TOKEN_FILE),
    caFile: e.CORRAL_CA_FILE ? path.resolve(e.CORRAL_CA_FILE) : null,
    controllerFingerprint: e.CORRAL_CONTROLLER_FINGERPRINT
      ? normalizeFingerprint(e.CORRAL_CONTROLLER_FINGERPRINT)
      : null,
    policy: e.CORRAL_AGENT_POLICY.grants,
    policySource: e.CORRAL_AGENT_POLICY.source,
    lxcTemplateDir: path.resolve(e.CORRAL_LXC_TEMPLATE_DIR),
  };
}

// The enrollment token from a file (a secret mount); null when unset, missing or empty.
function readTokenFile(file: string | undefined): string | null {
  if (!file) return null;
  try {
    return readFileSync(file, 'utf8').trim() || null;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new ConfigError([`CORRAL_ENROLLMENT_TOKEN_FILE: cannot read ${file}: ${(err as Error).message}`]);
  }
}

// Read at start: a CA bundle that cannot be used would otherwise fail every connection later, less clearly.
export function caFileProblem(file: string): string | null {
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (err) {
    return `CORRAL_CA_FILE: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
  }
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) return `CORRAL_CA_FILE: ${file} holds no PEM certificate`;
  for (const [i, block] of blocks.entries()) {
    try {
      new X509Certificate(block);
    } catch {
      return `CORRAL_CA_FILE: certificate ${i + 1} in ${file} cannot be parsed`;
    }
  }
  return null;
}
