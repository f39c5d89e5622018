import { CorralClient } from '@corral/client';
// A small client for the controller's REST API, typed with the fields the fleet checks read.
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
export interface ApiHost {
  id: string;
  agentId: string;
  hostname: string;
  status: 'online' | 'offline';
  stale: boolean;
  lastSeenAt: string | null;
  connectedAt: string | null;
  offlineAt: string | null;
  facts: unknown;
}
export interface ApiContainer {
  id: string;
  hostId: string;
  runtime: 'docker' | 'lxc';
  engineId: string;
  name: string;
  state: string;
  stale: boolean;
  ipv4: string[];
  networks: { name: string; ipv4: string | null; mac: string | null; bridge: string | null }[];
}
export interface ApiLease {
  id: string;
  hostId: string;
  ip: string;
  mac: string;
  bridge: string | null;
  source: string;
  stale: boolean;
}
export interface ApiCommand {
  id: string;
  status: string;
  result: Record<string, unknown> | null;
  error: { code: string; message: string } | null;
}

export interface FleetSummary {
  hosts: { online: number; offline: number; total: number };
  containers: { docker: Record<string, number>; lxc: Record<string, number> };
  totals: Record<'containers' | 'images' | 'volumes' | 'networks' | 'bridges' | 'leases' | 'findings', number>;
}
export interface IpMatch {
  kind: 'container' | 'lease' | 'bridge' | 'network';
  id: string;
  host: { id: string; hostname: string; status: string };
  name?: string;
  mac?: string;
  bridge?: string | null;
  source?: string;
}

// Admin tokens of the controllers this process started, by API URL, so that FleetApi(url) sends one.
const adminTokens = new Map<string, string>();

export function registerAdminToken(baseUrl: string, token: string): void {
  adminTokens.set(baseUrl, token);
}

// Fetch with a time limit per call, so a stuck controller fails a test instead of hanging it.
const fetchWithin =
  (ms: number): typeof fetch =>
  (input, init) =>
    fetch(input, { ...init, signal: AbortSignal.timeout(ms) });

export class FleetApi {
  readonly client: CorralClient;
  // Commands may wait up to 120 s on the controller.
  private readonly slow: CorralClient;

  constructor(
    readonly baseUrl: string,
    private readonly token: string | undefined = adminTokens.get(baseUrl) ?? process.env.CORRAL_ADMIN_TOKEN,
  ) {
    this.client = new CorralClient({ baseUrl, token, fetch: fetchWithin(10_000) });
    this.slow = new CorralClient({ baseUrl, token, fetch: fetchWithin(130_000) });
  }

  get headers(): Record<string, string> {
    return this.token ? { authorization: `Bearer ${this.token}` } : {};
  }

  async get<T>(path: string): Promise<T> {
    const reply = await this.client.request<T>('GET', path);
    if (reply.status >= 400)
      throw new Error(`GET ${path} -> ${reply.status} ${JSON.stringify(reply.body).slice(0, 300)}`);
    return reply.body;
  }

  // Every page of a list (bounded: at most 20 pages of 1000).
  async all<T>(path: string): Promise<T[]> {
    const items: T[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 20; page++) {
      const sep = path.includes('?') ? '&' : '?';
      const p: Page<T> = await this.get<Page<T>>(
        `${path}${sep}limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      items.push(...p.items);
      cursor = p.nextCursor;
      if (!cursor) return items;
    }
    throw new Error(`${path}: more than 20 pages`);
  }

  async post<T>(path: string, body: unknown = {}): Promise<{ status: number; body: T }> {
    const reply = await this.slow.request<T>('POST', path, body);
    return { status: reply.status, body: reply.body };
  }

  command(id: string, waitSeconds = 0): Promise<ApiCommand> {
    return this.get<ApiCommand>(`/api/v1/commands/${id}?wait=${waitSeconds}`);
  }

  hosts(): Promise<ApiHost[]> {
    return this.all<ApiHost>('/api/v1/hosts');
  }

  async host(name: string): Promise<ApiHost | undefined> {
    return (await this.all<ApiHost>(`/api/v1/hosts?name=${encodeURIComponent(name)}`)).find((h) => h.hostname === name);
  }

  containers(hostId: string): Promise<ApiContainer[]> {
    return this.all<ApiContainer>(`/api/v1/containers?host=${hostId}`);
  }

  leases(hostId: string): Promise<ApiLease[]> {
    return this.all<ApiLease>(`/api/v1/leases?host=${hostId}`);
  }

  summary(): Promise<FleetSummary> {
    return this.get<FleetSummary>('/api/v1/fleet/summary');
  }

  ip(address: string): Promise<{ address: string; matches: IpMatch[] }> {
    return this.get(`/api/v1/ip/${address}`);
  }
}

// A token several agents can enroll with (CORRAL_ENROLLMENT_TOKEN), made with the admin token.
export async function fleetEnrollmentToken(baseUrl: string, adminToken: string, uses: number): Promise<string> {
  const client = new CorralClient({ baseUrl, token: adminToken, fetch: fetchWithin(10_000) });
  const token = await client.call<{ secret: string }>('POST', '/api/v1/enrollment-tokens', {
    name: 'fleet agents',
    maxUses: uses,
    expiresInSeconds: 3600,
  });
  return token.secret;
}
