import { describe, expect, it } from 'vitest';
import { CorralApiError, CorralClient } from './client.js';

interface Seen {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | null;
}

// A fetch that records what it was asked and answers `reply`.
function recorder(reply: { status: number; body: unknown } = { status: 202, body: { id: 'c1' } }) {
  const seen: Seen[] = [];
  const fetchImpl: typeof fetch = async (input, init) => {
    seen.push({
      method: init?.method ?? 'GET',
      url: String(input),
      headers: (init?.headers ?? {}) as Record<string, string>,
      body: (init?.body as string | undefined) ?? null,
    });
    return new Response(JSON.stringify(reply.body), {
      status: reply.status,
      headers: { 'content-type': 'application/json' },
    });
  };
  return { seen, fetchImpl };
}

describe('CorralClient', () => {
  it('issues an op on the route its registry entry names, params in the body, options in the query', async () => {
    const { seen, fetchImpl } = recorder();
    const sut = new CorralClient({ baseUrl: 'http://ctl:7070/', token: 'crl_api_x', fetch: fetchImpl });
    await sut.op('container.stop', 'h1/web', { timeoutSeconds: 3 }, { wait: 30, idempotencyKey: 'k1' });
    expect(seen[0]).toMatchObject({
      method: 'POST',
      url: 'http://ctl:7070/api/v1/containers/h1%2Fweb/stop?wait=30',
      headers: { authorization: 'Bearer crl_api_x', 'idempotency-key': 'k1', 'content-type': 'application/json' },
      body: '{"timeoutSeconds":3}',
    });
  });

  it('puts path params in the path and query-route params in the query', async () => {
    const { seen, fetchImpl } = recorder();
    const sut = new CorralClient({ baseUrl: 'http://ctl', fetch: fetchImpl });
    await sut.op('container.snapshot.restore', 'c1', { snapshot: 'snap0', newName: 'copy' });
    await sut.op('container.remove', 'c1', { force: true });
    expect(seen.map((s) => [s.method, s.url, s.body])).toEqual([
      ['POST', 'http://ctl/api/v1/containers/c1/snapshots/snap0/restore', '{"newName":"copy"}'],
      ['DELETE', 'http://ctl/api/v1/containers/c1?force=true', null],
    ]);
    await expect(sut.op('container.snapshot.delete', 'c1', {} as never)).rejects.toThrow(/params.snapshot is required/);
  });

  it('throws the API error with its code, field and candidates', async () => {
    const body = {
      error: 'ambiguous',
      message: '"web" names 2 containers',
      candidates: [{ id: 'a', name: 'web', hostId: 'h', hostname: 'h1' }],
    };
    const { fetchImpl } = recorder({ status: 409, body });
    const sut = new CorralClient({ baseUrl: 'http://ctl', fetch: fetchImpl });
    const error = await sut.op('container.start', 'web').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CorralApiError);
    expect(error).toMatchObject({ status: 409, code: 'ambiguous', message: '"web" names 2 containers' });
    expect((error as CorralApiError).candidates).toHaveLength(1);
  });

  it('walks every page of a list', async () => {
    const pages = [
      { items: [1, 2], nextCursor: 'p2' },
      { items: [3], nextCursor: null },
    ];
    const urls: string[] = [];
    const fetchImpl: typeof fetch = async (input) => {
      urls.push(String(input));
      return new Response(JSON.stringify(pages[urls.length - 1]), { headers: { 'content-type': 'application/json' } });
    };
    const sut = new CorralClient({ baseUrl: 'http://ctl', fetch: fetchImpl });
    const items: number[] = [];
    for await (const item of sut.all<number>('/containers', { state: ['running', 'exited'], limit: 2 }))
      items.push(item);
    expect(items).toEqual([1, 2, 3]);
    expect(urls).toEqual([
      'http://ctl/api/v1/containers?state=running%2Cexited&limit=2',
      'http://ctl/api/v1/containers?state=running%2Cexited&limit=2&cursor=p2',
    ]);
  });
});
