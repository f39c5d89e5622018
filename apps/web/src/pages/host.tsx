import type {
  Bridge,
  CommandSummary,
  Container,
  CorralEvent,
  Host,
  Image,
  Lease,
  Network,
  Page,
  Volume,
} from '@corral/client';
import { useEffect, useState } from 'preact/hooks';
import { client, hasRole, messageOf, session } from '../api';
import { Labels, StateBadge } from '../components/badges';
import { ContainerTable } from '../components/container-table';
import { EventList } from '../components/event-list';
import { HostControls } from '../components/host-controls';
import { SimpleTable } from '../components/simple-table';
import { fleet } from '../lib/fleet-store';
import { formatAgo, formatBytes, formatTime } from '../lib/format';
import { useLiveRefresh } from '../lib/hooks';
import { useStore } from '../lib/store';
import { live } from '../live';
import { Link } from '../router';

const LIST = 200;

interface Inventory {
  containers: Page<Container>;
  images: Page<Image>;
  volumes: Page<Volume>;
  networks: Page<Network>;
  bridges: Page<Bridge>;
  leases: Page<Lease>;
  commands: Page<CommandSummary>;
}

async function loadInventory(id: string): Promise<Inventory> {
  const q = { host: id, limit: LIST };
  const [containers, images, volumes, networks, bridges, leases, commands] = await Promise.all([
    client.containers(q),
    client.page<Image>('/images', q),
    client.page<Volume>('/volumes', q),
    client.page<Network>('/networks', q),
    client.page<Bridge>('/bridges', q),
    client.page<Lease>('/leases', q),
    client.commands({ host: id, limit: 20 }),
  ]);
  return { containers, images, volumes, networks, bridges, leases, commands };
}

const more = (p: Page<unknown>) => (p.nextCursor ? ` (first ${p.items.length})` : ` (${p.items.length})`);

export function HostPage(props: { id: string }) {
  const s = useStore(session);
  const [host, setHost] = useState<Host | null>(null);
  const [inv, setInv] = useState<Inventory | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [events, setEvents] = useState<CorralEvent[]>([]);
  const refresh = async () => {
    try {
      const [h, i] = await Promise.all([client.host(props.id), loadInventory(props.id)]);
      setHost(h);
      setInv(i);
      fleet.upsert(h);
      setError(null);
    } catch (err) {
      setError(messageOf(err));
    }
  };
  useEffect(() => {
    setHost(null);
    setInv(null);
    void refresh();
    setEvents(live.recent.filter((e) => e.hostId === props.id).slice(-50));
    return live.subscribe((e) => {
      if (e.hostId === props.id) setEvents((prev) => [...prev, e].slice(-50));
    });
  }, [props.id]);
  useLiveRefresh(
    (e) => e.hostId === props.id && e.kind !== 'command',
    () => void refresh(),
    300,
  );
  useLiveRefresh(
    (e) => e.hostId === props.id && e.kind === 'command',
    () => void refresh(),
    1000,
  );
  if (error && !host) {
    return (
      <div class="page">
        <h1>Host</h1>
        <p class="error" role="alert">
          {error}
        </p>
      </div>
    );
  }
  if (!host || !inv) return <p class="page">Loading…</p>;
  const f = host.facts;
  return (
    <div class="page">
      <p>
        <Link href="/">Fleet</Link> / {host.hostname}
      </p>
      <div class="page-head">
        <h1>{host.hostname}</h1>
        <StateBadge state={host.status} />
        {host.cordoned ? (
          <span class="badge state-warn">cordoned{host.cordonReason ? `: ${host.cordonReason}` : ''}</span>
        ) : null}
        {hasRole(s, 'operator') ? <HostControls host={host} onChanged={(h) => setHost(h)} /> : null}
      </div>
      <section aria-labelledby="facts-h">
        <h2 id="facts-h">Facts</h2>
        <dl class="facts">
          <dt>Last seen</dt>
          <dd>{formatAgo(host.lastSeenAt)}</dd>
          <dt>OS</dt>
          <dd>{f?.os ?? '—'}</dd>
          <dt>Kernel</dt>
          <dd>{f?.kernel ?? '—'}</dd>
          <dt>CPUs</dt>
          <dd>
            {f?.cpuCount ?? '—'} {f?.cpuModel ? `(${f.cpuModel})` : ''}
          </dd>
          <dt>Memory</dt>
          <dd>
            {formatBytes(f?.memoryTotalBytes)} total, {formatBytes(f?.memoryAvailableBytes)} available
          </dd>
          <dt>Runtimes</dt>
          <dd>
            {host.runtimes
              .map((r) => (r.available ? `${r.name} ${r.version ?? ''}` : `${r.name}: ${r.reason ?? 'unavailable'}`))
              .join('; ') || '—'}
          </dd>
          <dt>Agent</dt>
          <dd>
            {host.agentVersion ?? '—'} (protocol {host.protocolVersion ?? '—'})
          </dd>
          <dt>Labels</dt>
          <dd>
            <Labels labels={host.effectiveLabels} />
          </dd>
        </dl>
      </section>
      <section aria-labelledby="containers-h">
        <h2 id="containers-h">Containers{more(inv.containers)}</h2>
        <ContainerTable items={inv.containers.items} caption={`Containers on ${host.hostname}`} />
      </section>
      <section aria-labelledby="images-h">
        <h2 id="images-h">Images{more(inv.images)}</h2>
        <SimpleTable
          caption={`Images on ${host.hostname}`}
          rows={inv.images.items}
          columns={[
            { label: 'Tags', cell: (i) => (i.tags ?? []).join(', ') || '<none>' },
            { label: 'Id', cell: (i) => i.engineId.replace(/^sha256:/, '').slice(0, 12) },
            { label: 'Size', cell: (i) => formatBytes(i.sizeBytes) },
            {
              label: 'Origin',
              cell: (i) => originText(i.origin),
            },
            { label: 'Created', cell: (i) => formatTime(i.createdAt) },
          ]}
        />
      </section>
      <section aria-labelledby="volumes-h">
        <h2 id="volumes-h">Volumes{more(inv.volumes)}</h2>
        <SimpleTable
          caption={`Volumes on ${host.hostname}`}
          rows={inv.volumes.items}
          columns={[
            { label: 'Name', cell: (v) => v.name },
            { label: 'Driver', cell: (v) => v.driver },
            {
              label: 'Used by',
              cell: (v) =>
                (v.usedBy ?? [])
                  .map((u) => (typeof u === 'string' ? u : ((u as { name?: string }).name ?? JSON.stringify(u))))
                  .join(', ') || '—',
            },
          ]}
        />
      </section>
      <section aria-labelledby="networks-h">
        <h2 id="networks-h">Networks{more(inv.networks)}</h2>
        <SimpleTable
          caption={`Networks on ${host.hostname}`}
          rows={inv.networks.items}
          columns={[
            { label: 'Name', cell: (n) => n.name },
            { label: 'Driver', cell: (n) => n.driver },
            { label: 'Subnets', cell: (n) => (n.subnets ?? []).join(', ') || '—' },
            { label: 'Bridge', cell: (n) => n.bridge ?? '—' },
          ]}
        />
      </section>
      <section aria-labelledby="bridges-h">
        <h2 id="bridges-h">Bridges{more(inv.bridges)}</h2>
        <SimpleTable
          caption={`Bridges on ${host.hostname}`}
          rows={inv.bridges.items}
          columns={[
            { label: 'Name', cell: (b) => b.name },
            { label: 'State', cell: (b) => <StateBadge state={b.up ? 'up' : 'down'} /> },
            {
              label: 'Addresses',
              cell: (b) =>
                (b.addresses ?? [])
                  .map((a) =>
                    typeof a === 'string'
                      ? a
                      : `${(a as { address?: string }).address ?? ''}/${(a as { prefixLength?: number }).prefixLength ?? ''}`,
                  )
                  .join(', ') || '—',
            },
            { label: 'Interfaces', cell: (b) => (b.interfaces ?? []).join(', ') || '—' },
          ]}
        />
      </section>
      <section aria-labelledby="leases-h">
        <h2 id="leases-h">Leases{more(inv.leases)}</h2>
        <SimpleTable
          caption={`DHCP leases on ${host.hostname}`}
          rows={inv.leases.items}
          columns={[
            { label: 'IP', cell: (l) => l.ip },
            { label: 'MAC', cell: (l) => l.mac },
            { label: 'Client', cell: (l) => l.clientHostname ?? '—' },
            { label: 'Bridge', cell: (l) => l.bridge ?? '—' },
            { label: 'Expires', cell: (l) => formatTime(l.expiresAt) },
          ]}
        />
      </section>
      <section aria-labelledby="commands-h">
        <h2 id="commands-h">Recent commands</h2>
        <SimpleTable
          caption={`Recent commands on ${host.hostname}`}
          rows={inv.commands.items}
          columns={[
            { label: 'Op', cell: (c) => <Link href={`/commands?id=${c.id}`}>{c.op}</Link> },
            { label: 'Status', cell: (c) => <StateBadge state={c.status} /> },
            { label: 'By', cell: (c) => c.requestedBy ?? '—' },
            { label: 'Created', cell: (c) => formatTime(c.createdAt) },
          ]}
        />
      </section>
      <section aria-labelledby="events-h">
        <h2 id="events-h">Recent events</h2>
        <EventList events={[...events].reverse()} caption={`Recent events of ${host.hostname}`} />
      </section>
    </div>
  );
}

// An image's origin in a few words: how it came, and from where (host, registry, upload, container).
function originText(origin: Image['origin'] | undefined): string {
  if (!origin) return '—';
  const from =
    origin.kind === 'copied'
      ? origin.fromHostname
      : origin.kind === 'pulled'
        ? (origin.reference ?? origin.registry)
        : origin.kind === 'committed'
          ? origin.container?.slice(0, 12)
          : null;
  const digest = origin.digest ? ` ${origin.digest.slice(0, 19)}` : '';
  return `${origin.kind}${from ? ` from ${from}` : ''}${digest}`;
}
