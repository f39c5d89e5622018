export type ControllerUrlsResult = { ok: true; urls: string[] } | { ok: false; problems: string[] };

const EXAMPLE = 'e.g. ws://127.0.0.1:7070/agent';

// "ws://a:7070/agent, ws://b:7070/agent" -> both URLs, in order. Blanks around entries and empty entries
// are ignored; every bad entry is reported, named by its position and text, so one look fixes the list.
export function parseControllerUrls(text: string): ControllerUrlsResult {
  const entries = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (entries.length === 0) {
    return {
      ok: false,
      problems: [`CORRAL_CONTROLLER_URL is empty: give one or more ws:// or wss:// URLs, ${EXAMPLE}`],
    };
  }
  const several = entries.length > 1;
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const [i, entry] of entries.entries()) {
    const name = several ? `CORRAL_CONTROLLER_URL entry ${i + 1} "${entry}"` : `CORRAL_CONTROLLER_URL "${entry}"`;
    const problem = urlProblem(entry);
    if (problem) problems.push(`${name} ${problem}`);
    else if (seen.has(entry)) problems.push(`${name} is listed twice`);
    seen.add(entry);
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, urls: entries };
}

function urlProblem(entry: string): string | null {
  let url: URL;
  try {
    url = new URL(entry);
  } catch {
    return `is not a URL: give a ws:// or wss:// URL, ${EXAMPLE}`;
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') return `must be a ws:// or wss:// URL, ${EXAMPLE}`;
  if (!url.hostname) return `has no host, ${EXAMPLE}`;
  return null;
}
