import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Config } from './config.js';
import { ConfigError } from './config.js';

export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  // SHA-256 of the leaf certificate, as agents pin it (CORRAL_CONTROLLER_FINGERPRINT).
  fingerprint256: string;
  subject: string;
  validTo: string;
}

// Reads and checks the PEM files once at start: readable, parseable, and the key belongs to the cert.
export function loadTlsMaterial(tls: NonNullable<Config['tls']>): TlsMaterial {
  const problems: string[] = [];
  const read = (file: string, name: string): Buffer | null => {
    try {
      return readFileSync(file);
    } catch (err) {
      problems.push(`${name}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      return null;
    }
  };
  const certPem = read(tls.certFile, 'CORRAL_TLS_CERT');
  const keyPem = read(tls.keyFile, 'CORRAL_TLS_KEY');
  let x509: X509Certificate | null = null;
  if (certPem) {
    try {
      x509 = new X509Certificate(certPem);
    } catch {
      problems.push(`CORRAL_TLS_CERT: ${tls.certFile} is not a PEM certificate`);
    }
  }
  if (keyPem) {
    try {
      const key = createPrivateKey(keyPem);
      if (x509 && !x509.checkPrivateKey(key)) {
        problems.push(`CORRAL_TLS_KEY: ${tls.keyFile} is not the private key of ${tls.certFile}`);
      }
    } catch {
      problems.push(`CORRAL_TLS_KEY: ${tls.keyFile} is not a PEM private key (or it is encrypted)`);
    }
  }
  if (x509 && new Date(x509.validTo).getTime() < Date.now()) {
    problems.push(`CORRAL_TLS_CERT: ${tls.certFile} expired on ${x509.validTo}`);
  }
  if (problems.length > 0 || !certPem || !keyPem || !x509) throw new ConfigError(problems);
  return {
    cert: certPem,
    key: keyPem,
    fingerprint256: x509.fingerprint256,
    subject: x509.subject.replace(/\n/g, ', '),
    validTo: x509.validTo,
  };
}
