export interface DockerEvent {
  type: string;
  action: string;
  id: string | null;
}

// Frequent events that change nothing the inventory shows.
const IGNORED_ACTIONS = ['exec_create', 'exec_start', 'exec_die', 'attach', 'resize', 'top', 'archive-path'];

// Splits the event stream's newline-delimited JSON; returns the events and the unfinished tail.
export function splitEvents(buffer: string): { events: DockerEvent[]; rest: string } {
  const lines = buffer.split('\n');
  const rest = lines.pop() ?? '';
  const events: DockerEvent[] = [];
  for (const line of lines) {
    if (!line.trim()) continue;
    try {
      const raw = JSON.parse(line) as { Type?: string; Action?: string; Actor?: { ID?: string }; id?: string };
      events.push({ type: raw.Type ?? '', action: raw.Action ?? '', id: raw.Actor?.ID ?? raw.id ?? null });
    } catch {
      // A garbled line still means something happened.
      events.push({ type: 'unknown', action: 'unknown', id: null });
    }
  }
  return { events, rest };
}

export function isRelevant(event: DockerEvent): boolean {
  return !IGNORED_ACTIONS.some((a) => event.action === a || event.action.startsWith(`${a}:`));
}
