import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

// Kinds of bearer secret; the visible prefix tells them apart in listings and in secret scanners.
export const SECRET_PREFIX = { api: 'crl_api_', enrollment: 'crl_enr_', agent: 'crl_agt_' } as const;
export type SecretKind = keyof typeof SECRET_PREFIX;

// How much of a secret is kept in clear to tell secrets apart: the type prefix and 6 random characters.
const SHOWN_RANDOM_CHARS = 6;

// 32 random bytes, base64url, behind the kind's prefix.
export function newSecret(kind: SecretKind): string {
  return `${SECRET_PREFIX[kind]}${randomBytes(32).toString('base64url')}`;
}

// Secrets are high-entropy, so a plain SHA-256 is enough to store them (no slow KDF needed).
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

export function secretPrefix(secret: string): string {
  const kind = Object.values(SECRET_PREFIX).find((p) => secret.startsWith(p));
  return kind ? secret.slice(0, kind.length + SHOWN_RANDOM_CHARS) : `${secret.slice(0, 4)}…`;
}

// Constant-time comparison of a presented secret's hash with a stored one.
export function hashMatches(secret: string, storedHash: string): boolean {
  const a = Buffer.from(hashSecret(secret), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

// The token of an `Authorization: Bearer <token>` header; null when absent or of another scheme.
export function bearerToken(header: string | string[] | undefined): string | null {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return null;
  const match = /^Bearer[ ]+([\x21-\x7e]{1,512})\s*$/i.exec(value);
  return match ? match[1]! : null;
}
