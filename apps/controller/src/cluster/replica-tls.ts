import { X509Certificate } from 'node:crypto';
import { isIP, type Socket } from 'node:net';
import tls from 'node:tls';
import type { Config } from '../config/config.js';
import { loadTlsMaterial } from '../config/tls.js';

type Connect = (options: tls.ConnectionOptions, done: (err: Error | null, socket?: Socket) => void) => undefined;

// What a ws client or an http(s) request to another replica takes (empty without TLS).
export interface ReplicaTlsOptions {
  createConnection?: Connect;
}

export interface ReplicaTrust {
  // PEM of this replica's CORRAL_TLS_CERT: its certificate, and the chain up to its CA if the file has it.
  certPem: Buffer;
  // SHA-256 of this replica's certificate (AA:BB:...).
  fingerprint256: string;
}

export function replicaTlsOptions(config: Config): ReplicaTlsOptions {
  if (!config.tls) return {};
  const own = loadTlsMaterial(config.tls);
  return { createConnection: replicaConnect({ certPem: own.cert, fingerprint256: own.fingerprint256 }) };
}

// How one replica trusts another's https:// URL, checked before any byte (the replica secret
// included) is sent: a peer showing this replica's own certificate is accepted without the name
// check, as an agent pinning the controller's fingerprint would (replicas sharing one certificate;
// their URLs default to 127.0.0.1, which a certificate seldom names); any other certificate must
// chain to the public roots or to a certificate in this replica's CORRAL_TLS_CERT file (so replicas
// with certificates of their own need that file to carry their CA) and name the host.
export function replicaConnect(trust: ReplicaTrust): Connect {
  const ca = [...tls.rootCertificates, trust.certPem];
  return (options, done) => {
    let answered = false;
    const finish = (err: Error | null, socket?: Socket) => {
      if (answered) return;
      answered = true;
      done(err, socket);
    };
    const host = options.host ?? 'localhost';
    const socket = tls.connect({
      ...options,
      ca,
      rejectUnauthorized: false,
      servername: isIP(host) ? undefined : host,
    });
    socket.once('secureConnect', () => {
      const peer = socket.getPeerCertificate();
      const problem =
        peer?.fingerprint256 === trust.fingerprint256
          ? validity(peer)
          : socket.authorized
            ? (tls.checkServerIdentity(host, peer)?.message ?? null)
            : String(socket.authorizationError) === 'ERR_TLS_CERT_ALTNAME_INVALID'
              ? `its certificate does not name ${host}`
              : `its certificate is not trusted (${socket.authorizationError})`;
      if (problem) {
        socket.destroy();
        finish(new Error(`the replica at ${host} was refused: ${problem}`));
        return;
      }
      finish(null, socket);
    });
    socket.once('error', (err) => finish(err));
    return undefined;
  };
}

// The shared certificate stands in for the CA and name checks, not for the validity dates.
function validity(peer: tls.PeerCertificate): string | null {
  const cert = new X509Certificate(peer.raw);
  const now = Date.now();
  if (Date.parse(cert.validTo) < now) return `its certificate expired on ${cert.validTo}`;
  if (Date.parse(cert.validFrom) > now) return `its certificate is valid only from ${cert.validFrom}`;
  return null;
}

// The WebSocket URL of a path on a replica reached at `base` (http -> ws, https -> wss).
export function replicaWsUrl(base: string, path: string): string {
  const url = new URL(path, base);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.toString();
}
