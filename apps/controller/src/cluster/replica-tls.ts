import type { PeerCertificate } from 'node:tls';
import { rootCertificates, checkServerIdentity as standardIdentityCheck } from 'node:tls';
import type { Config } from '../config/config.js';
import { loadTlsMaterial } from '../config/tls.js';

export interface ReplicaTlsOptions {
  ca?: (string | Buffer)[];
  checkServerIdentity?: (host: string, cert: PeerCertificate) => Error | undefined;
}

// How one replica trusts another's https:// URL: the public roots plus the certificates of this
// replica's own CORRAL_TLS_CERT file (replicas sharing one certificate, or whose file carries the
// chain up to their CA, trust each other). A peer showing this very certificate is accepted without
// the name check, as an agent pinning the controller's fingerprint would: replica URLs default to
// 127.0.0.1, which a shared certificate seldom names.
export function replicaTlsOptions(config: Config): ReplicaTlsOptions {
  if (!config.tls) return {};
  const own = loadTlsMaterial(config.tls);
  return {
    ca: [...rootCertificates, own.cert],
    checkServerIdentity: (host, cert) =>
      cert.fingerprint256 === own.fingerprint256 ? undefined : standardIdentityCheck(host, cert),
  };
}

// The WebSocket URL of a path on a replica reached at `base` (http -> ws, https -> wss).
export function replicaWsUrl(base: string, path: string): string {
  const url = new URL(path, base);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.toString();
}
