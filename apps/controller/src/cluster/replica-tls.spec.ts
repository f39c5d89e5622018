import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replicaConnect } from './replica-tls.js';

const openssl = (args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });

// Real TLS servers on loopback with certificates made by openssl: which peers a replica accepts.
describe('replicaConnect', () => {
  let dir = '';
  const file = (name: string) => path.join(dir, name);
  const pem = (name: string) => readFileSync(file(name));

  // A key and a certificate for `names`, signed by the CA unless self-signed.
  function certificate(name: string, names: string, selfSigned = false): void {
    const subj = ['-subj', `/CN=${name}`];
    if (selfSigned) {
      openssl(
        ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', ...subj].concat([
          '-addext',
          `subjectAltName=${names}`,
          '-keyout',
          file(`${name}.key`),
          '-out',
          file(`${name}.pem`),
        ]),
      );
      return;
    }
    openssl([
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      ...subj,
      '-keyout',
      file(`${name}.key`),
      '-out',
      file(`${name}.csr`),
    ]);
    writeFileSync(file(`${name}.ext`), `subjectAltName=${names}\n`);
    openssl(
      ['x509', '-req', '-in', file(`${name}.csr`), '-CA', file('ca.pem'), '-CAkey', file('ca.key')].concat([
        '-CAcreateserial',
        '-days',
        '2',
        '-extfile',
        file(`${name}.ext`),
        '-out',
        file(`${name}.pem`),
      ]),
    );
  }

  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'corral-replica-tls-'));
    openssl(
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=replica test CA'].concat([
        '-keyout',
        file('ca.key'),
        '-out',
        file('ca.pem'),
      ]),
    );
    certificate('one', 'IP:127.0.0.1');
    certificate('two', 'IP:127.0.0.1');
    certificate('elsewhere', 'DNS:other.example');
    certificate('stranger', 'IP:127.0.0.1', true);
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // Connects to a server showing `server`'s certificate, trusting as a replica whose cert file is `own`.
  async function attempt(server: string, own: Buffer): Promise<string> {
    const srv = tls.createServer({ cert: pem(`${server}.pem`), key: pem(`${server}.key`) }, (s) => s.end());
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const { port } = srv.address() as AddressInfo;
    const connect = replicaConnect({ certPem: own, fingerprint256: new X509Certificate(own).fingerprint256 });
    try {
      return await new Promise<string>((resolve) => {
        connect({ host: '127.0.0.1', port }, (err, socket) => {
          socket?.destroy();
          resolve(err ? err.message : 'accepted');
        });
      });
    } finally {
      srv.close();
    }
  }

  it('accepts a peer showing its own certificate, without the CA in the file', async () => {
    expect(await attempt('one', pem('one.pem'))).toBe('accepted');
  });

  it("accepts another certificate of its CA when its file carries the CA, and checks the peer's name", async () => {
    const chain = Buffer.concat([pem('one.pem'), pem('ca.pem')]);
    expect(await attempt('two', chain)).toBe('accepted');
    expect(await attempt('elsewhere', chain)).toMatch(/refused: its certificate does not name 127\.0\.0\.1/);
  });

  it('refuses another certificate it cannot chain, and a stranger', async () => {
    expect(await attempt('two', pem('one.pem'))).toMatch(/refused: its certificate is not trusted/);
    expect(await attempt('stranger', Buffer.concat([pem('one.pem'), pem('ca.pem')]))).toMatch(/not trusted/);
  });
});
