import http from 'node:http';

export interface JsonReply {
  status: number;
  body: unknown;
}

// HTTP/1.1 with keep-alive and one socket per request in flight, so that the client neither queues
// requests nor opens a connection per request under load.
export class KeepAliveClient {
  private readonly agent: http.Agent;
  private readonly base: URL;

  constructor(
    baseUrl: string,
    private readonly headers: Record<string, string>,
    sockets: number,
    private readonly timeoutMs: number,
  ) {
    this.base = new URL(baseUrl);
    // Idle sockets close after 2 s, well before the server's keep-alive timeout (5 s), so that a
    // request never goes out on a socket the server is closing.
    this.agent = new http.Agent({ keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets, timeout: 2_000 });
  }

  // `body`, when given, is sent as is (JSON text: the headers given to the constructor say so).
  request(method: string, pathname: string, body?: string): Promise<JsonReply> {
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          agent: this.agent,
          host: this.base.hostname,
          port: this.base.port,
          method,
          path: pathname,
          headers: { ...this.headers, 'content-length': String(body === undefined ? 0 : Buffer.byteLength(body)) },
          timeout: this.timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let body: unknown = text;
            try {
              body = JSON.parse(text);
            } catch {
              // not JSON: kept as text for the error message
            }
            resolve({ status: res.statusCode ?? 0, body });
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      req.on('error', reject);
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
