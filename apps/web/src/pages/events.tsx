import type { CorralEvent } from '@corral/client';
import { useEffect, useState } from 'preact/hooks';
import { EventList, eventSubject } from '../components/event-list';
import { fleet } from '../lib/fleet-store';
import { live } from '../live';

const KINDS = ['container', 'image', 'volume', 'network', 'bridge', 'lease', 'host', 'command'];

// Events as they happen (the last 500 the page has seen), filtered in the page.
export function EventsPage() {
  const [events, setEvents] = useState<CorralEvent[]>(() => [...live.recent]);
  const [kind, setKind] = useState('');
  const [text, setText] = useState('');
  const [paused, setPaused] = useState(false);
  // Host names for the events come from the fleet list.
  useEffect(() => fleet.ensureLoaded(), []);
  useEffect(() => {
    if (paused) return;
    setEvents([...live.recent]);
    let timer: ReturnType<typeof setTimeout> | null = null;
    const off = live.subscribe(() => {
      timer ??= setTimeout(() => {
        timer = null;
        setEvents([...live.recent]);
      }, 250);
    });
    return () => {
      off();
      if (timer) clearTimeout(timer);
    };
  }, [paused]);
  const hostnames = new Map<string, string>();
  for (const h of fleet.model.hosts.values()) hostnames.set(h.id, h.hostname);
  const needle = text.trim().toLowerCase();
  const shown = events
    .filter((e) => e.type !== 'command-output')
    .filter((e) => !kind || e.kind === kind)
    .filter(
      (e) =>
        !needle ||
        e.type.includes(needle) ||
        eventSubject(e).toLowerCase().includes(needle) ||
        (hostnames.get(e.hostId ?? '') ?? '').toLowerCase().includes(needle),
    )
    .reverse()
    .slice(0, 200);
  return (
    <div class="page">
      <h1>Events</h1>
      <form class="filters" aria-label="Filter events" onSubmit={(e) => e.preventDefault()}>
        <div>
          <label for="ev-kind">Kind</label>
          <select id="ev-kind" value={kind} onChange={(e) => setKind(e.currentTarget.value)}>
            <option value="">any</option>
            {KINDS.map((k) => (
              <option key={k} value={k}>
                {k}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="ev-text">Type, host or name contains</label>
          <input id="ev-text" type="search" value={text} onInput={(e) => setText(e.currentTarget.value)} />
        </div>
        <div class="filter-buttons">
          <button type="button" aria-pressed={paused} onClick={() => setPaused(!paused)}>
            {paused ? 'Resume' : 'Pause'}
          </button>
        </div>
      </form>
      <EventList events={shown} hostnames={hostnames} caption="Events, newest first" />
    </div>
  );
}
