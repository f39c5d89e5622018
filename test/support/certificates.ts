import { randomBytes, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { sh } from './engines.js';

export interface Issued {
  certFile: string;
  keyFile: string;
  cert: Buffer;
  key: Buffer;
  // SHA-256, as the controller logs it and agents pin it (AA:BB:...).
  fingerprint256: string;
}

export interface TestCa {
  certFile: string;
  keyFile: string;
  dir: string;
}

// A private CA made with openssl, as README's TLS recipe does.
export async function makeCa(dir: string, name = 'Corral test CA'): Promise<TestCa> {
  await mkdir(dir, { recursive: true });
  const ca = { certFile: path.join(dir, 'ca.pem'), keyFile: path.join(dir, 'ca.key'), dir };
  await sh(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', ca.keyFile, '-out', ca.certFile].concat([
      '-days',
      '2',
      '-subj',
      `/CN=${name}`,
    ]),
  );
  return ca;
}

// A server certificate signed by `ca` for `names` (subjectAltName entries such as IP:127.0.0.1 or
// DNS:localhost). `expired`: valid for a day in 2020. OpenSSL 3.0 has no -not_before/-not_after on
// `req` or `x509`, so that one goes through `openssl ca`, which takes -startdate and -enddate.
export async function issue(ca: TestCa, file: string, opts: { names: string[]; expired?: boolean }): Promise<Issued> {
  const f = (ext: string) => path.join(ca.dir, `${file}.${ext}`);
  const cn = opts.names[0]!.replace(/^(IP|DNS):/, '');
  await sh('openssl', [
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    f('key'),
    '-out',
    f('csr'),
    '-subj',
    `/CN=${cn}`,
  ]);
  await writeFile(f('ext'), `subjectAltName=${opts.names.join(',')}\n`);
  if (opts.expired) {
    const db = path.join(ca.dir, `${file}.index`);
    await writeFile(db, '');
    await writeFile(
      f('cnf'),
      [
        '[ca]',
        'default_ca = test_ca',
        '[test_ca]',
        `database = ${db}`,
        `new_certs_dir = ${ca.dir}`,
        `serial = ${f('serial')}`,
        'default_md = sha256',
        'policy = any',
        'unique_subject = no',
        '[any]',
        'commonName = supplied',
        '',
      ].join('\n'),
    );
    await writeFile(f('serial'), `${randomBytes(8).toString('hex')}\n`);
    await sh(
      'openssl',
      ['ca', '-batch', '-notext', '-config', f('cnf'), '-cert', ca.certFile, '-keyfile', ca.keyFile]
        .concat(['-in', f('csr'), '-out', f('pem'), '-extfile', f('ext')])
        .concat(['-startdate', '20200101000000Z', '-enddate', '20200102000000Z']),
    );
  } else {
    await sh(
      'openssl',
      ['x509', '-req', '-in', f('csr'), '-CA', ca.certFile, '-CAkey', ca.keyFile, '-CAcreateserial'].concat([
        '-out',
        f('pem'),
        '-days',
        '2',
        '-extfile',
        f('ext'),
      ]),
    );
  }
  const cert = readFileSync(f('pem'));
  return {
    certFile: f('pem'),
    keyFile: f('key'),
    cert,
    key: readFileSync(f('key')),
    fingerprint256: new X509Certificate(cert).fingerprint256,
  };
}
