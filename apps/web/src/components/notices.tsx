import { Store, useStore } from '../lib/store';

interface Notice {
  id: number;
  text: string;
  tone: 'info' | 'error';
}

const notices = new Store<Notice[]>([]);
let nextId = 1;

export function notify(text: string, tone: 'info' | 'error' = 'info'): void {
  const id = nextId++;
  notices.set([...notices.value, { id, text, tone }].slice(-4));
  setTimeout(() => notices.set(notices.value.filter((n) => n.id !== id)), tone === 'error' ? 10_000 : 5_000);
}

// Results of actions, announced to screen readers as they arrive.
export function Notices() {
  const list = useStore(notices);
  return (
    <div class="notices" role="status" aria-live="polite">
      {list.map((n) => (
        <div key={n.id} class={`notice ${n.tone}`}>
          {n.text}
        </div>
      ))}
    </div>
  );
}
