import { createConnection, createServer, type Server, type Socket } from 'node:net';

// A TCP proxy on loopback that can make its target unreachable and reachable again, for outages
// of one client's view of a shared service (e.g. one controller's Postgres) without touching the
// service itself.
//   refuse:    open connections are reset, new ones are accepted and reset at once;
//   blackhole: open connections stop carrying data, new ones are accepted and never answered.
export type OutageMode = 'refuse' | 'blackhole';

export class TcpProxy {
  private readonly pairs = new Set<{ client: Socket; upstream: Socket }>();
  private readonly held = new Set<Socket>();
  private outage: OutageMode | null = null;
  connections = 0;

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly target: { host: string; port: number },
  ) {}

  static async start(target: { host: string; port: number }): Promise<TcpProxy> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    const proxy = new TcpProxy(server, typeof address === 'object' && address ? address.port : 0, target);
    server.on('connection', (client) => proxy.accept(client));
    return proxy;
  }

  get blocked(): boolean {
    return this.outage !== null;
  }

  // Rewrites a URL's host and port to go through this proxy.
  url(original: string): string {
    const u = new URL(original);
    u.hostname = '127.0.0.1';
    u.port = String(this.port);
    return u.toString();
  }

  block(mode: OutageMode = 'refuse'): void {
    this.outage = mode;
    for (const pair of this.pairs) {
      if (mode === 'refuse') {
        pair.client.resetAndDestroy();
        pair.upstream.destroy();
      } else {
        pair.client.pause();
        pair.upstream.pause();
        pair.client.unpipe();
        pair.upstream.unpipe();
        this.held.add(pair.client);
        this.held.add(pair.upstream);
      }
    }
    this.pairs.clear();
  }

  // Connections held during a blackhole are dropped: their peers will have given up on them.
  unblock(): void {
    this.outage = null;
    for (const socket of this.held) socket.destroy();
    this.held.clear();
  }

  async close(): Promise<void> {
    this.block('refuse');
    this.unblock();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    client.on('error', () => {});
    if (this.outage === 'refuse') {
      client.resetAndDestroy();
      return;
    }
    if (this.outage === 'blackhole') {
      client.pause();
      this.held.add(client);
      return;
    }
    this.connections++;
    const upstream = createConnection(this.target);
    upstream.on('error', () => client.destroy());
    const pair = { client, upstream };
    this.pairs.add(pair);
    const drop = () => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', drop);
    upstream.on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
