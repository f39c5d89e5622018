import type { CorralEvent } from '@corral/client';
import { useEffect, useRef } from 'preact/hooks';
import { live } from '../live';

// Calls `refresh` after events that `matters` accepts, at most once per `everyMs` (a burst of
// changes becomes one re-read), and after the stream was reset.
export function useLiveRefresh(matters: (event: CorralEvent) => boolean, refresh: () => void, everyMs = 300): void {
  const latest = useRef({ matters, refresh });
  latest.current = { matters, refresh };
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | null = null;
    let last = 0;
    const fire = () => {
      timer = null;
      last = Date.now();
      latest.current.refresh();
    };
    const schedule = () => {
      if (timer) return;
      timer = setTimeout(fire, Math.max(0, last + everyMs - Date.now()));
    };
    const off = live.subscribe((event) => {
      if (latest.current.matters(event)) schedule();
    });
    const offReset = live.resets.subscribe(schedule);
    return () => {
      off();
      offReset();
      if (timer) clearTimeout(timer);
    };
  }, [everyMs]);
}
