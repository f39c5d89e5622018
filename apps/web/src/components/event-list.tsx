import type { CorralEvent } from '@corral/client';
import { formatTime } from '../lib/format';

export function eventSubject(e: CorralEvent): string {
  const d = e.data;
  const parts = [d.name, d.ip, d.mac, d.state ? `state ${String(d.state)}` : null].filter(
    (v) => v !== undefined && v !== null && v !== '',
  );
  return parts.map(String).join(' · ');
}

export function EventList(props: { events: CorralEvent[]; hostnames?: Map<string, string>; caption: string }) {
  return (
    <section class="table-wrap" tabIndex={0} aria-label={props.caption}>
      <table class="data">
        <caption class="sr-only">{props.caption}</caption>
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Event</th>
            <th scope="col">Host</th>
            <th scope="col">Subject</th>
          </tr>
        </thead>
        <tbody>
          {props.events.map((e) => (
            <tr key={e.id}>
              <td>{formatTime(e.at)}</td>
              <td>{e.type}</td>
              <td>{e.hostId ? (props.hostnames?.get(e.hostId) ?? e.hostId.slice(0, 8)) : '—'}</td>
              <td class="clip">{eventSubject(e)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {props.events.length === 0 ? <p class="empty">No events yet.</p> : null}
    </section>
  );
}
