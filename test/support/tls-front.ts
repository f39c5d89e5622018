import { createConnection, type Socket } from 'node:net';
import tls from 'node:tls';

// A TLS listener on loopback that serves the certificate it is given and forwards the decrypted bytes
// to a plain-HTTP controller, so that agents face any certificate (an expired one too, which the
// controller itself refuses to serve). It counts what clients did: TCP connections, handshakes they
// refused, and the bytes they sent once a handshake completed (where a credential would travel).
export class TlsFront {
  connections = 0;
  handshakes = 0;
  bytesAfterHandshake = 0;
  readonly refused: string[] = [];
  private readonly open = new Set<Socket>();

  private constructor(
    private readonly server: tls.Server,
    readonly port: number,
  ) {}

  static async start(opts: { cert: Buffer; key: Buffer; target: { host: string; port: number } }): Promise<TlsFront> {
    const server = tls.createServer({ cert: opts.cert, key: opts.key });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    const front = new TlsFront(server, typeof address === 'object' && address ? address.port : 0);
    server.on('connection', (socket: Socket) => {
      front.connections++;
      front.track(socket);
    });
    // The client aborted the handshake (it did not trust the certificate) or spoke no TLS.
    server.on('tlsClientError', (err) => front.refused.push(err.message));
    server.on('secureConnection', (client) => {
      front.handshakes++;
      front.track(client);
      client.on('data', (chunk: Buffer) => {
        front.bytesAfterHandshake += chunk.length;
      });
      const upstream = createConnection(opts.target);
      front.track(upstream);
      client.pipe(upstream);
      upstream.pipe(client);
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
    });
    return front;
  }

  // Serves another certificate to new connections, and forgets what the previous clients did.
  serve(cert: Buffer, key: Buffer): void {
    for (const socket of this.open) socket.destroy();
    this.server.setSecureContext({ cert, key });
    this.connections = 0;
    this.handshakes = 0;
    this.bytesAfterHandshake = 0;
    this.refused.length = 0;
  }

  async close(): Promise<void> {
    for (const socket of this.open) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private track(socket: Socket): void {
    this.open.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => this.open.delete(socket));
  }
}
