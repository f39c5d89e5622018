import { type CommandOp, type CommandParams, type CommandResultOf, type OPS, opSpec } from '@corral/protocol';
import createFetchClient, { type Client } from 'openapi-fetch';
import type { z } from 'zod';
import {
  type EventQuery,
  type EventStreamFilter,
  type EventStreamHandle,
  type EventStreamHandlers,
  openEventStream,
  readEventStream,
  type StreamedEvent,
} from './event-stream.js';
import type { components, paths } from './generated/openapi.js';
import {
  type ContainerStreamConnection,
  type ExecStreamInput,
  type LogsStreamInput,
  openContainerStream,
  type StreamHandlers,
} from './streams.js';

export type Schemas = components['schemas'];
export type Host = Schemas['Host'];
export type Container = Schemas['Container'];
export type Image = Schemas['Image'];
export type Volume = Schemas['Volume'];
export type Network = Schemas['Network'];
export type Bridge = Schemas['Bridge'];
export type Lease = Schemas['Lease'];
export type Placement = Schemas['Placement'];
export type ApiErrorBody = Schemas['Error'];
export type FleetSummary = Schemas['FleetSummary'];
export type HostDoctor = Schemas['HostDoctor'];
export type FleetDoctor = Schemas['FleetDoctor'];
export type VolumeDetail = Schemas['VolumeDetail'];
export type IpLookup = Schemas['IpLookup'];
export type Session = Schemas['Session'];
export type PlacementReply = Schemas['PlacementReply'];
export type Drain = Schemas['Drain'];
export type ApiToken = Schemas['ApiToken'];
export type EnrollmentToken = Schemas['EnrollmentToken'];
export type AuditEntry = Schemas['AuditPage']['items'][number];
export type CommandSummary = Schemas['CommandPage']['items'][number];

// The header a cookie session sends with every request that changes something.
export const CSRF_HEADER = 'x-corral-csrf';

// A command as the API answers it, its result typed by its op.
export type Command<Op extends CommandOp = CommandOp> = Omit<Schemas['Command'], 'op' | 'result'> & {
  op: Op;
  result: CommandResultOf<Op> | null;
};

// What an op's route takes, before defaults: the client sends this, the controller applies defaults.
export type OpInput<Op extends CommandOp> = z.input<(typeof OPS)[Op]['params']>;

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface ClientOptions {
  // The controller, e.g. http://127.0.0.1:7070 (no /api/v1).
  baseUrl: string;
  // An API token (crl_api_...); omitted for the public routes only.
  token?: string;
  // Another fetch (keep-alive agents in benchmarks, cookies in the browser).
  fetch?: typeof fetch;
  headers?: Record<string, string>;
}

export interface CommandOptions {
  // Seconds to wait for the command to end before answering (at most 120).
  wait?: number;
  // Seconds the command may take before it times out.
  deadline?: number;
  idempotencyKey?: string;
}

// The API's error answer as an exception: HTTP status, the error code, what to do, and for a
// bad request the field at fault, for an ambiguous name the rows it fits.
export class CorralApiError extends Error {
  override readonly name = 'CorralApiError';
  readonly code: string;
  readonly field: string | undefined;
  readonly candidates: ApiErrorBody['candidates'];

  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly method: string,
    readonly path: string,
  ) {
    const b = (typeof body === 'object' && body !== null ? body : {}) as Partial<ApiErrorBody>;
    super(b.message ?? (typeof body === 'string' && body ? body : `${method} ${path} answered ${status}`));
    this.code = b.error ?? `http_${status}`;
    this.field = b.field;
    this.candidates = b.candidates;
  }
}

// An answer of any route, read as JSON when it is JSON.
export interface RawReply<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

const encode = (ref: string) => encodeURIComponent(ref);

// The one way the CLI, the web view, the tests, the benchmarks and the simulator call Corral's
// API: typed reads over the OpenAPI document's paths (`api`), every op of the registry by name
// (`op`), pages, and errors as CorralApiError.
export class CorralClient {
  readonly api: Client<paths>;
  readonly baseUrl: string;
  private readonly fetchImpl: typeof fetch;
  private readonly headers: Record<string, string>;

  constructor(options: ClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
    this.headers = {
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...options.headers,
    };
    this.api = createFetchClient<paths>({ baseUrl: this.baseUrl, fetch: this.fetchImpl, headers: this.headers });
  }

  // Any route, untyped: for what the typed paths cannot say (uploads, raw bodies, odd headers).
  async request<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<RawReply<T>> {
    const init: RequestInit & { duplex?: 'half' } = { method, headers: { ...this.headers, ...headers } };
    if (body !== undefined) {
      const raw = typeof body === 'string' || body instanceof Uint8Array || isStream(body);
      init.body = raw ? (body as BodyInit) : JSON.stringify(body);
      if (isStream(body)) init.duplex = 'half';
      const h = init.headers as Record<string, string>;
      if (!Object.keys(h).some((k) => k.toLowerCase() === 'content-type')) {
        // Text is taken for JSON written by hand; bytes and streams for a file.
        h['content-type'] = typeof body === 'string' || !raw ? 'application/json' : 'application/octet-stream';
      }
    }
    const res = await this.fetchImpl(`${this.baseUrl}${path}`, init);
    const text = await res.text();
    let parsed: unknown = text;
    if (text && (res.headers.get('content-type') ?? '').includes('json')) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    return { status: res.status, headers: res.headers, body: parsed as T };
  }

  // As request(), but a status of 400 or more throws CorralApiError.
  async call<T = unknown>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<T> {
    const reply = await this.request<T>(method, path, body, headers);
    if (reply.status >= 400) throw new CorralApiError(reply.status, reply.body, method, path);
    return reply.body;
  }

  // Issues `op` on `target` (a host for host ops, else the row the op acts on: id, name, engine id,
  // HOST/NAME) the way its registry entry says: method, path, params in body or query.
  async op<Op extends CommandOp>(
    op: Op,
    target: string,
    params: OpInput<Op> = {} as OpInput<Op>,
    options: CommandOptions = {},
  ): Promise<Command<Op>> {
    const spec = opSpec(op);
    if (spec.route.custom) throw new Error(`${op} has a route of its own (${spec.route.method} ${spec.route.path})`);
    const values = { ...(params as Record<string, unknown>) };
    let path = spec.route.path.replace(/\{(\w+)\}/g, (_, name: string) => {
      if (name === 'id' || name === 'host') return encode(target);
      const value = values[name];
      delete values[name];
      if (value === undefined) throw new Error(`${op}: params.${name} is required (it is part of the path)`);
      return encode(String(value));
    });
    const query = new URLSearchParams();
    if (options.wait !== undefined) query.set('wait', String(options.wait));
    if (options.deadline !== undefined) query.set('deadline', String(options.deadline));
    let body: unknown;
    if (spec.route.paramsFrom === 'query') {
      for (const [k, v] of Object.entries(values)) if (v !== undefined) query.set(k, String(v));
    } else if (spec.route.paramsFrom === 'body') {
      body = values;
    } else if (spec.route.paramsFrom === 'upload') {
      throw new Error(`${op} takes a file: use upload()`);
    }
    if ([...query.keys()].length > 0) path += `?${query}`;
    const headers = options.idempotencyKey ? { 'idempotency-key': options.idempotencyKey } : undefined;
    return this.call<Command<Op>>(spec.route.method, `/api/v1${path}`, body, headers);
  }

  // An op that takes a file (image.import, image.load): the body is streamed as it is read.
  async upload<Op extends CommandOp>(
    op: Op,
    target: string,
    file: BodyInit,
    params: Record<string, string | number | boolean> = {},
    options: CommandOptions & { contentType?: string } = {},
  ): Promise<Command<Op>> {
    const spec = opSpec(op);
    if (spec.route.paramsFrom !== 'upload') throw new Error(`${op} takes no file`);
    const query = new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)]));
    if (options.wait !== undefined) query.set('wait', String(options.wait));
    if (options.deadline !== undefined) query.set('deadline', String(options.deadline));
    const path = `/api/v1${spec.route.path.replace(/\{(host|id)\}/, encode(target))}?${query}`;
    const headers: Record<string, string> = {
      'content-type': options.contentType ?? spec.route.uploadTypes?.[0] ?? 'application/octet-stream',
    };
    if (options.idempotencyKey) headers['idempotency-key'] = options.idempotencyKey;
    return this.call<Command<Op>>('POST', path, file, headers);
  }

  // A command, after waiting up to `wait` seconds for it to end.
  command<Op extends CommandOp = CommandOp>(id: string, wait = 0): Promise<Command<Op>> {
    return this.call<Command<Op>>('GET', `/api/v1/commands/${encode(id)}${wait > 0 ? `?wait=${wait}` : ''}`);
  }

  // Waits until the command ends, however long that takes (in steps of the API's longest wait).
  async waitForCommand<Op extends CommandOp>(id: string, timeoutMs = Number.POSITIVE_INFINITY): Promise<Command<Op>> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const left = Math.ceil((until - Date.now()) / 1000);
      const command = await this.command<Op>(id, Math.max(1, Math.min(120, left)));
      if (FINAL.has(command.status) || Date.now() >= until) return command;
    }
  }

  // One page of a list route; `query` values are sent as given (arrays comma-joined).
  page<T>(path: string, query: Record<string, unknown> = {}): Promise<Page<T>> {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) {
      if (v === undefined || v === null) continue;
      q.set(k, Array.isArray(v) ? v.join(',') : String(v));
    }
    const qs = q.toString();
    return this.call<Page<T>>('GET', `/api/v1${path}${qs ? `?${qs}` : ''}`);
  }

  // Every item of a list route, page after page.
  async *all<T>(path: string, query: Record<string, unknown> = {}): AsyncGenerator<T> {
    let cursor: string | null | undefined;
    do {
      const page: Page<T> = await this.page<T>(path, { ...query, ...(cursor ? { cursor } : {}) });
      yield* page.items;
      cursor = page.nextCursor;
    } while (cursor);
  }

  get<T>(path: string): Promise<T> {
    return this.call<T>('GET', `/api/v1${path}`);
  }

  host(ref: string): Promise<Host> {
    return this.get<Host>(`/hosts/${encode(ref)}`);
  }

  container(ref: string): Promise<Container> {
    return this.get<Container>(`/containers/${encode(ref)}`);
  }

  image(ref: string): Promise<Image> {
    return this.get<Image>(`/images/${encode(ref)}`);
  }

  volume(ref: string): Promise<Volume> {
    return this.get<Volume>(`/volumes/${encode(ref)}`);
  }

  network(ref: string): Promise<Network> {
    return this.get<Network>(`/networks/${encode(ref)}`);
  }

  // An agent trades an enrollment token for its host credential (public: no API token needed).
  enroll(body: { token: string; agentId: string; hostname: string }): Promise<Schemas['EnrollResponse']> {
    return this.call<Schemas['EnrollResponse']>('POST', '/api/v1/enroll', body, { authorization: '' });
  }

  // Interactive exec: a WebSocket through the controller to the process (operator role).
  execStream(ref: string, input: ExecStreamInput, handlers: StreamHandlers): Promise<ContainerStreamConnection> {
    return openContainerStream({ baseUrl: this.baseUrl, headers: this.headers }, 'exec', ref, input, handlers);
  }

  // A container's log, followed or not (viewer role).
  logsStream(ref: string, input: LogsStreamInput, handlers: StreamHandlers): Promise<ContainerStreamConnection> {
    return openContainerStream({ baseUrl: this.baseUrl, headers: this.headers }, 'logs', ref, input, handlers);
  }

  // A route answering a file (an image archive): the body as a stream, with its length when known.
  async download(path: string): Promise<{ body: ReadableStream<Uint8Array>; size: number | null }> {
    const res = await this.fetchImpl(`${this.baseUrl}/api/v1${path}`, { headers: this.headers });
    if (res.status >= 400 || !res.body) {
      const text = await res.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // Not JSON: the text is the message.
      }
      throw new CorralApiError(res.status, body, 'GET', `/api/v1${path}`);
    }
    const length = res.headers.get('content-length');
    return { body: res.body, size: length ? Number(length) : null };
  }

  // The fleet's events as they happen (Server-Sent Events), until `signal` aborts or the stream ends.
  async *events(query: EventQuery = {}, signal?: AbortSignal): AsyncGenerator<StreamedEvent> {
    const q = new URLSearchParams();
    if (query.host) q.set('host', query.host);
    if (query.kind?.length) q.set('kind', query.kind.join(','));
    if (query.type?.length) q.set('type', query.type.join(','));
    const headers = {
      ...this.headers,
      accept: 'text/event-stream',
      ...(query.lastEventId ? { 'last-event-id': query.lastEventId } : {}),
    };
    const path = `/api/v1/events${q.size > 0 ? `?${q}` : ''}`;
    const res = await this.fetchImpl(`${this.baseUrl}${path}`, { headers, ...(signal ? { signal } : {}) });
    if (res.status >= 400 || !res.body) {
      const text = await res.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // Not JSON: the text is the message.
      }
      throw new CorralApiError(res.status, body, 'GET', path);
    }
    yield* readEventStream(res.body);
  }

  fleetSummary(): Promise<FleetSummary> {
    return this.get<FleetSummary>('/fleet/summary');
  }

  // The host doctor's findings as last reported: one host's, or the fleet's by host and severity.
  hostDoctor(host: string): Promise<HostDoctor> {
    return this.get<HostDoctor>(`/hosts/${encode(host)}/doctor`);
  }

  fleetDoctor(query: { severity?: string } = {}): Promise<FleetDoctor> {
    const q = query.severity ? `?severity=${encode(query.severity)}` : '';
    return this.get<FleetDoctor>(`/doctor${q}`);
  }

  ip(address: string): Promise<IpLookup> {
    return this.get<IpLookup>(`/ip/${encode(address)}`);
  }

  // Sign in with an API token (the web page): the answer sets the HttpOnly session cookie, and the
  // session's CSRF token is sent on every later request.
  async signIn(token: string): Promise<Session> {
    const session = await this.call<Session>('POST', '/api/v1/session', { token }, { authorization: '' });
    this.useCsrf(session.csrfToken);
    return session;
  }

  // The session of the cookie this client's fetch sends (404 when there is none).
  async session(): Promise<Session> {
    const session = await this.get<Session>('/session');
    this.useCsrf(session.csrfToken);
    return session;
  }

  async signOut(): Promise<void> {
    await this.call('DELETE', '/api/v1/session');
    delete this.headers[CSRF_HEADER];
  }

  useCsrf(token: string): void {
    this.headers[CSRF_HEADER] = token;
  }

  // Follows GET /api/v1/events; reconnects (resuming with Last-Event-ID) until closed or refused.
  followEvents(filter: EventStreamFilter, handlers: EventStreamHandlers): EventStreamHandle {
    const q = new URLSearchParams();
    if (filter.host) q.set('host', filter.host);
    if (filter.kind?.length) q.set('kind', filter.kind.join(','));
    if (filter.type?.length) q.set('type', filter.type.join(','));
    const qs = q.toString();
    return openEventStream(
      {
        url: `${this.baseUrl}/api/v1/events${qs ? `?${qs}` : ''}`,
        headers: { ...this.headers },
        fetch: this.fetchImpl,
      },
      handlers,
    );
  }

  hosts(query: Record<string, unknown> = {}): Promise<Page<Host>> {
    return this.page<Host>('/hosts', query);
  }

  containers(query: Record<string, unknown> = {}): Promise<Page<Container>> {
    return this.page<Container>('/containers', query);
  }

  commands(query: Record<string, unknown> = {}): Promise<Page<CommandSummary>> {
    return this.page<CommandSummary>('/commands', query);
  }

  setHostLabels(host: string, labels: Record<string, string>): Promise<Host> {
    return this.call<Host>('PUT', `/api/v1/hosts/${encode(host)}/labels`, { labels });
  }

  cordon(host: string, reason?: string): Promise<Host> {
    return this.call<Host>('POST', `/api/v1/hosts/${encode(host)}/cordon`, reason ? { reason } : {});
  }

  uncordon(host: string): Promise<Host> {
    return this.call<Host>('POST', `/api/v1/hosts/${encode(host)}/uncordon`, {});
  }

  drain(host: string, reason?: string): Promise<Drain> {
    return this.call<Drain>('POST', `/api/v1/hosts/${encode(host)}/drain`, reason ? { reason } : {});
  }

  // Lets Corral choose hosts; with dryRun only the explanation comes back (a 409 when nothing fits
  // throws CorralApiError whose body holds the explanation).
  place(request: Record<string, unknown>, options: { dryRun?: boolean; wait?: number } = {}): Promise<PlacementReply> {
    const q = new URLSearchParams();
    if (options.dryRun) q.set('dryRun', 'true');
    if (options.wait !== undefined) q.set('wait', String(options.wait));
    const qs = q.toString();
    return this.call<PlacementReply>('POST', `/api/v1/containers${qs ? `?${qs}` : ''}`, request);
  }

  tokens(): Promise<{ items: ApiToken[] }> {
    return this.get<{ items: ApiToken[] }>('/tokens');
  }

  createToken(body: { name: string; role: string; expiresInSeconds?: number }): Promise<ApiToken & { secret: string }> {
    return this.call<ApiToken & { secret: string }>('POST', '/api/v1/tokens', body);
  }

  revokeToken(id: string): Promise<ApiToken> {
    return this.call<ApiToken>('DELETE', `/api/v1/tokens/${encode(id)}`);
  }

  enrollmentTokens(): Promise<{ items: EnrollmentToken[] }> {
    return this.get<{ items: EnrollmentToken[] }>('/enrollment-tokens');
  }

  createEnrollmentToken(body: {
    name?: string;
    expiresInSeconds?: number;
    maxUses?: number;
    allowTakeover?: boolean;
  }): Promise<EnrollmentToken & { secret: string }> {
    return this.call<EnrollmentToken & { secret: string }>('POST', '/api/v1/enrollment-tokens', body);
  }

  revokeEnrollmentToken(id: string): Promise<EnrollmentToken> {
    return this.call<EnrollmentToken>('DELETE', `/api/v1/enrollment-tokens/${encode(id)}`);
  }

  audit(query: Record<string, unknown> = {}): Promise<Page<AuditEntry>> {
    return this.page<AuditEntry>('/audit', query);
  }
}

const FINAL = new Set(['succeeded', 'failed', 'timed_out', 'canceled']);

function isStream(body: unknown): boolean {
  return (
    typeof body === 'object' &&
    body !== null &&
    (typeof (body as { getReader?: unknown }).getReader === 'function' ||
      typeof (body as { pipe?: unknown }).pipe === 'function')
  );
}

// The registry's types, for clients that import only this package.
export type { CommandOp, CommandParams, CommandResultOf };
