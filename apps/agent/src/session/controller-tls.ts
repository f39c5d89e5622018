import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { isIP, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import tls from 'node:tls';

export interface ControllerTrust {
  // PEM bundle of the CA(s) that signed the controller's certificate.
  caFile: string | null;
  // SHA-256 of the controller's certificate, upper-case hex without colons. Replaces CA and name checks.
  fingerprint: string | null;
}

type Connect = (options: tls.ConnectionOptions, done: (err: Error | null, socket?: Socket) => void) => undefined;

// What a ws client or an https request needs to trust the controller: the CA, or a connector that
// checks the pinned fingerprint before any byte (credential included) is sent.
export interface TlsClientOptions {
  ca?: Buffer;
  createConnection?: Connect;
}

// Pure: "AB:cd:..." or "abcd..." -> "ABCD..."; null when it is not 32 bytes of hex.
export function normalizeFingerprint(text: string): string | null {
  const hex = text.replace(/[:\s]/g, '').toUpperCase();
  return /^[0-9A-F]{64}$/.test(hex) ? hex : null;
}

export function tlsClientOptions(trust: ControllerTrust): TlsClientOptions {
  if (trust.fingerprint) return { createConnection: pinnedConnect(trust.fingerprint) };
  if (trust.caFile) return { ca: readFileSync(trust.caFile) };
  return {};
}

// A TLS connection whose only check is the certificate's SHA-256: the socket is handed to the HTTP
// layer (which then writes the request) only once the fingerprint matched.
export function pinnedConnect(fingerprint: string): Connect {
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
      rejectUnauthorized: false,
      servername: isIP(host) ? undefined : host,
    });
    socket.once('secureConnect', () => {
      const peer = socket.getPeerCertificate();
      const seen = (peer?.fingerprint256 ?? '').replace(/:/g, '').toUpperCase();
      if (seen !== fingerprint) {
        socket.destroy();
        finish(
          new Error(`controller certificate SHA-256 ${seen || 'none'} does not match CORRAL_CONTROLLER_FINGERPRINT`),
        );
        return;
      }
      // The pin stands in for the CA and name checks, not for the validity dates.
      const outside = validityProblem(peer, Date.now());
      if (outside) {
        socket.destroy();
        finish(new Error(`${outside} (pinned with CORRAL_CONTROLLER_FINGERPRINT)`));
        return;
      }
      finish(null, socket);
    });
    socket.once('error', (err) => finish(err));
    return undefined;
  };
}

// Pure: why a certificate is not valid at `now` (expired, or not yet valid); null when it is.
export function validityProblem(cert: { valid_from?: string; valid_to?: string }, now: number): string | null {
  const from = Date.parse(cert.valid_from ?? '');
  const to = Date.parse(cert.valid_to ?? '');
  if (Number.isNaN(from) || Number.isNaN(to)) return 'controller certificate has no readable validity dates';
  if (now > to) return `controller certificate expired on ${cert.valid_to}`;
  if (now < from) return `controller certificate is not valid before ${cert.valid_from}`;
  return null;
}

export interface ControllerRequestInit {
  method?: string;
  headers?: Record<string, string>;
  // A stream is piped with backpressure (an image archive going up).
  body?: string | Readable;
  signal?: AbortSignal;
  // Answer the body as the Node stream it is (`nodeBody`), not as a web stream: bulk downloads
  // (image archives) skip the conversion of every chunk.
  nodeBody?: boolean;
}

// A Response whose body, when asked for with `nodeBody`, is the Node stream instead.
export type ControllerResponse = Response & { nodeBody?: Readable };

export type ControllerFetch = (url: string, init?: ControllerRequestInit) => Promise<ControllerResponse>;

// fetch()'s shape over node:http(s), so the controller's CA or pin applies to REST calls too.
export function controllerFetch(options: TlsClientOptions): ControllerFetch {
  return (url, init = {}) =>
    new Promise((resolve, reject) => {
      const target = new URL(url);
      const secure = target.protocol === 'https:';
      const request = (secure ? https : http).request(
        target,
        {
          method: init.method ?? 'GET',
          headers: init.headers,
          signal: init.signal,
          // No agent: with one, Node would ignore createConnection (and with `agent: false` make a default one).
          ...(secure ? options : {}),
        } as https.RequestOptions,
        (res) => {
          const headers = new Headers();
          for (const [name, value] of Object.entries(res.headers)) {
            if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
          }
          const status = res.statusCode ?? 500;
          const empty = status === 204 || status === 304;
          if (empty) res.resume();
          if (init.nodeBody && !empty) {
            resolve(Object.assign(new Response(null, { status, headers }), { nodeBody: res as Readable }));
            return;
          }
          const body = empty ? null : (Readable.toWeb(res) as unknown as WebReadableStream<Uint8Array>);
          resolve(new Response(body as unknown as ReadableStream<Uint8Array> | null, { status, headers }));
        },
      );
      request.once('error', reject);
      if (init.body instanceof Readable) {
        const body = init.body;
        body.once('error', (err) => request.destroy(err));
        body.pipe(request);
      } else request.end(init.body);
    });
}
