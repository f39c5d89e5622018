import type { Container, Host, Image, IpLookup, Lease } from '@corral/client';
import { useEffect, useRef, useState } from 'preact/hooks';
import { client, messageOf } from '../api';
import { fleet } from '../lib/fleet-store';
import { classifySearch } from '../lib/search';
import { Link } from '../router';

interface Results {
  hosts: Host[];
  containers: Container[];
  images: Image[];
  leases: Lease[];
  ip: IpLookup | null;
}

const NONE: Results = { hosts: [], containers: [], images: [], leases: [], ip: null };

// One field that finds a host, a container, an image, an IP or a MAC address.
export function SearchBox() {
  const [text, setText] = useState('');
  const [results, setResults] = useState<Results | null>(null);
  const [error, setError] = useState<string | null>(null);
  const seq = useRef(0);
  useEffect(() => {
    const term = classifySearch(text);
    if (term.kind === 'empty') {
      setResults(null);
      return;
    }
    const mine = ++seq.current;
    const timer = setTimeout(async () => {
      try {
        let found: Results = NONE;
        if (term.kind === 'ip') {
          found = { ...NONE, ip: await client.ip(term.value) };
        } else if (term.kind === 'mac') {
          const [containers, leases] = await Promise.all([
            client.containers({ mac: term.value, limit: 10 }),
            client.page<Lease>('/leases', { mac: term.value, limit: 10 }),
          ]);
          found = { ...NONE, containers: containers.items, leases: leases.items };
        } else {
          const needle = term.value.toLowerCase();
          const hosts = [...fleet.model.hosts.values()].filter((h) => h.hostname.toLowerCase().includes(needle));
          const [containers, images] = await Promise.all([
            client.containers({ name: term.value, limit: 8 }),
            client.page<Image>('/images', { name: term.value, limit: 8 }),
          ]);
          found = { ...NONE, hosts: hosts.slice(0, 8), containers: containers.items, images: images.items };
        }
        if (mine === seq.current) {
          setResults(found);
          setError(null);
        }
      } catch (err) {
        if (mine === seq.current) setError(messageOf(err));
      }
    }, 250);
    return () => clearTimeout(timer);
  }, [text]);

  const count = results
    ? results.hosts.length +
      results.containers.length +
      results.images.length +
      results.leases.length +
      (results.ip?.matches.length ?? 0)
    : 0;
  return (
    <search class="search">
      <label for="fleet-search">Search hosts, containers, images, IPs, MACs</label>
      <input
        id="fleet-search"
        type="search"
        value={text}
        onInput={(e) => setText(e.currentTarget.value)}
        placeholder="web-1, 10.0.3.55, 02:42:ac:11:00:02, busybox"
        autocomplete="off"
        spellcheck={false}
      />
      {error ? (
        <p class="error" role="alert">
          {error}
        </p>
      ) : null}
      {results ? (
        <section class="search-results" aria-label="Search results" aria-live="polite">
          {count === 0 ? <p class="muted">Nothing found.</p> : null}
          <ul>
            {results.hosts.map((h) => (
              <li key={`h${h.id}`}>
                <span class="kind">host</span> <Link href={`/hosts/${h.id}`}>{h.hostname}</Link> {h.status}
              </li>
            ))}
            {results.containers.map((c) => (
              <li key={`c${c.id}`}>
                <span class="kind">container</span> {c.name} on <Link href={`/hosts/${c.hostId}`}>{c.hostname}</Link>{' '}
                {c.state}
              </li>
            ))}
            {results.images.map((i) => (
              <li key={`i${i.id}`}>
                <span class="kind">image</span> {(i.tags ?? []).join(', ') || i.engineId} on{' '}
                <Link href={`/hosts/${i.hostId}`}>{i.hostname}</Link>
              </li>
            ))}
            {results.leases.map((l) => (
              <li key={`l${l.id}`}>
                <span class="kind">lease</span> {l.ip} {l.mac} {l.clientHostname ?? ''} on{' '}
                <Link href={`/hosts/${l.hostId}`}>{l.hostname}</Link>
              </li>
            ))}
            {results.ip?.matches.map((m) => {
              const match = m as {
                kind: string;
                id: string;
                name?: string;
                mac?: string;
                host: { id: string; hostname: string };
              };
              return (
                <li key={`m${match.kind}${match.id}`}>
                  <span class="kind">{match.kind}</span> {match.name ?? match.mac ?? ''} on{' '}
                  <Link href={`/hosts/${match.host.id}`}>{match.host.hostname}</Link>
                </li>
              );
            })}
          </ul>
        </section>
      ) : null}
    </search>
  );
}
