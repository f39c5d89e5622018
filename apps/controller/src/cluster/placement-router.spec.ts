import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Config } from '../config/config.js';
import type { PlacementCall } from '../controllers/placement-call.js';
import type { LeaderLease } from './leader-lease.js';
import { INTERNAL_PLACEMENTS_PATH, PlacementRouter } from './placement-router.js';
import type { ReplicaService } from './replica.service.js';
import type { ReplicaSecret } from './replica-secret.service.js';

const call: PlacementCall = {
  body: { runtime: 'docker', spec: { image: 'busybox' } },
  dryRun: false,
  wait: 0,
  deadlineSeconds: null,
  requestedBy: 'token:ops (1)',
  audit: {
    actor: { actor: 'token:ops', actorId: '1' },
    action: 'POST /api/v1/containers',
    targetKind: 'container',
    targetId: null,
    remoteAddr: null,
  },
};

// A router on a replica without the lease, whose holder is whatever `holder()` says.
function router(holder: () => { replicaId: string; url: string } | null) {
  const lease = { holds: () => false } as unknown as LeaderLease;
  const replicas = { id: 'me', leaseHolder: async () => holder() } as unknown as ReplicaService;
  const secret = { authorization: () => 'Bearer replica-secret' } as unknown as ReplicaSecret;
  const r = new PlacementRouter({ tls: null } as unknown as Config, lease, replicas, secret);
  r.handoverMs = 600;
  return r;
}

// Holders started by a test, closed after it.
const servers: http.Server[] = [];

// A holder on a real socket, doing `handle` with every request it reads.
async function holderServer(handle: (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void) {
  const requests: { url: string; authorization: string | undefined; body: string }[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      requests.push({ url: req.url ?? '', authorization: req.headers.authorization, body });
      handle(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { server, url, requests };
}

// A handler answering every request with `status` and `body` as JSON.
const answering = (status: number, body: unknown) => (_: http.IncomingMessage, res: http.ServerResponse) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

describe('PlacementRouter', () => {
  afterEach(async () => {
    // A server a test closed itself answers close() with an error, and is closed all the same.
    for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
  });

  it("passes the call to the holder with the replica secret and answers with the holder's result", async () => {
    const holder = await holderServer(answering(200, { outcome: 'placed', placement: { id: 'p1' } }));
    const result = await router(() => ({ replicaId: 'h', url: holder.url })).elsewhere(call);
    expect(result).toEqual({ outcome: 'placed', placement: { id: 'p1' } });
    expect(holder.requests).toHaveLength(1);
    expect(holder.requests[0]).toMatchObject({ url: INTERNAL_PLACEMENTS_PATH, authorization: 'Bearer replica-secret' });
    expect(JSON.parse(holder.requests[0]!.body)).toEqual(call);
  });

  it("answers the holder's error with its status and body", async () => {
    const holder = await holderServer(
      answering(400, { error: 'bad_request', message: 'hosts: no host has the name "x"', field: 'hosts' }),
    );
    const err = await router(() => ({ replicaId: 'h', url: holder.url }))
      .elsewhere(call)
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 400, response: { error: 'bad_request', field: 'hosts' } });
  });

  it('never sends a call twice once the holder has read it, whatever breaks after', async () => {
    const holder = await holderServer((req) => req.socket.destroy());
    const err = await router(() => ({ replicaId: 'h', url: holder.url }))
      .elsewhere(call)
      .catch((e: unknown) => e as Error);
    expect((err as Error).name).toBe('BadGatewayError');
    expect((err as Error).message).toContain('it may have been placed');
    await new Promise((r) => setTimeout(r, 300));
    expect(holder.requests).toHaveLength(1);
  });

  it('tries again while the holder cannot be reached, then answers 503 saying nothing was placed', async () => {
    // A port nothing listens on: the connection is refused before anything is sent.
    const closed = await holderServer(() => {});
    await new Promise((r) => closed.server.close(r));
    let asked = 0;
    const err = await router(() => {
      asked++;
      return { replicaId: 'gone', url: closed.url };
    })
      .elsewhere(call)
      .catch((e: unknown) => e as Error);
    expect((err as Error).name).toBe('ServiceUnavailableError');
    expect((err as Error).message).toMatch(/gone.*ECONNREFUSED.*nothing was placed/);
    expect(asked).toBeGreaterThan(1);
  });

  it('tells a holder without the internal route (an older version) from a refusal: 502, nothing placed', async () => {
    const holder = await holderServer(
      answering(404, { error: 'not_found', message: 'Cannot POST /internal/placements' }),
    );
    const err = await router(() => ({ replicaId: 'old', url: holder.url }))
      .elsewhere(call)
      .catch((e: unknown) => e as Error);
    expect((err as Error).name).toBe('BadGatewayError');
    expect((err as Error).message).toContain('nothing was placed');
  });
});
