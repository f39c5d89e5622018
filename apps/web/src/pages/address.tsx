import type { Container, IpLookup, Lease } from '@corral/client';
import { useEffect, useState } from 'preact/hooks';
import { client, messageOf } from '../api';
import { StateBadge } from '../components/badges';
import { SimpleTable } from '../components/simple-table';
import { classifySearch } from '../lib/search';
import { useStore } from '../lib/store';
import { Link, navigate, queryOf, route } from '../router';

interface Found {
  kind: 'ip' | 'mac';
  value: string;
  ip?: IpLookup;
  containers?: Container[];
  leases?: Lease[];
}

type Match = {
  kind: string;
  id: string;
  name?: string;
  mac?: string;
  state?: string;
  host: { id: string; hostname: string };
};

// Everything holding an IP or a MAC address, on every host.
export function AddressPage() {
  const href = useStore(route);
  const asked = queryOf(href).get('q') ?? '';
  const [text, setText] = useState(asked);
  const [found, setFound] = useState<Found | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setText(asked);
    const term = classifySearch(asked);
    if (term.kind === 'empty') {
      setFound(null);
      return;
    }
    if (term.kind === 'text') {
      setError(`${asked} is neither an IP nor a MAC address`);
      setFound(null);
      return;
    }
    setError(null);
    (async () => {
      try {
        if (term.kind === 'ip') setFound({ kind: 'ip', value: term.value, ip: await client.ip(term.value) });
        else {
          const [containers, leases] = await Promise.all([
            client.containers({ mac: term.value, limit: 100 }),
            client.page<Lease>('/leases', { mac: term.value, limit: 100 }),
          ]);
          setFound({ kind: 'mac', value: term.value, containers: containers.items, leases: leases.items });
        }
      } catch (err) {
        setError(messageOf(err));
      }
    })();
  }, [asked]);
  return (
    <div class="page">
      <h1>Address lookup</h1>
      <search>
        <form
          class="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            navigate(`/address?q=${encodeURIComponent(text.trim())}`);
          }}
        >
          <label for="address">IP or MAC address</label>
          <input id="address" value={text} onInput={(e) => setText(e.currentTarget.value)} placeholder="10.0.3.55" />
          <button type="submit" class="primary">
            Look up
          </button>
        </form>
      </search>
      {error ? (
        <p class="error" role="alert">
          {error}
        </p>
      ) : null}
      {found?.ip ? (
        <SimpleTable
          caption={`Holders of ${found.value}`}
          rows={found.ip.matches.map((m) => m as unknown as Match)}
          empty={`Nothing holds ${found.value}.`}
          columns={[
            { label: 'Kind', cell: (m) => m.kind },
            { label: 'Name', cell: (m) => m.name ?? m.mac ?? '—' },
            { label: 'State', cell: (m) => (m.state ? <StateBadge state={m.state} /> : '—') },
            { label: 'Host', cell: (m) => <Link href={`/hosts/${m.host.id}`}>{m.host.hostname}</Link> },
          ]}
        />
      ) : null}
      {found?.kind === 'mac' ? (
        <>
          <h2>Containers with {found.value}</h2>
          <SimpleTable
            caption={`Containers with ${found.value}`}
            rows={found.containers ?? []}
            columns={[
              { label: 'Name', cell: (c) => c.name },
              { label: 'State', cell: (c) => <StateBadge state={c.state} /> },
              { label: 'Addresses', cell: (c) => (c.ipv4 ?? []).join(', ') || '—' },
              { label: 'Host', cell: (c) => <Link href={`/hosts/${c.hostId}`}>{c.hostname}</Link> },
            ]}
          />
          <h2>Leases of {found.value}</h2>
          <SimpleTable
            caption={`Leases of ${found.value}`}
            rows={found.leases ?? []}
            columns={[
              { label: 'IP', cell: (l) => l.ip },
              { label: 'Client', cell: (l) => l.clientHostname ?? '—' },
              { label: 'Host', cell: (l) => <Link href={`/hosts/${l.hostId}`}>{l.hostname}</Link> },
            ]}
          />
        </>
      ) : null}
    </div>
  );
}
