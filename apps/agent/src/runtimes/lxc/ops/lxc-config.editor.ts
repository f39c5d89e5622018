// Sets `key = value` lines in an LXC config file's text: the first line of a key is replaced in place, its later
// lines are dropped (a set value is single), keys not present are appended. Comments and other lines stay as they are.
export function setConfigKeys(text: string, entries: ReadonlyArray<readonly [string, string]>): string {
  for (const [key, value] of entries) {
    if (!/^lxc\.[a-z0-9_.]+$/.test(key)) throw new Error(`not an lxc.* config key: ${JSON.stringify(key)}`);
    // A newline in a value would smuggle in further config lines.
    if (/[\r\n]/.test(value)) throw new Error(`the value of ${key} contains a line break`);
  }
  const lines = text.split('\n');
  const hadFinalNewline = text.endsWith('\n');
  if (hadFinalNewline) lines.pop();
  const wanted = new Map(entries.map(([key, value]) => [key, value.trim()]));
  const written = new Set<string>();
  const out: string[] = [];
  for (const line of lines) {
    const key = keyOf(line);
    if (key === null || !wanted.has(key)) {
      out.push(line);
      continue;
    }
    if (written.has(key)) continue;
    written.add(key);
    out.push(`${key} = ${wanted.get(key)}`);
  }
  for (const [key, value] of wanted) if (!written.has(key)) out.push(`${key} = ${value}`);
  return `${out.join('\n')}\n`;
}

// The key of a `key = value` line, or null for comments, blank and malformed lines.
function keyOf(line: string): string | null {
  const trimmed = line.trim();
  if (trimmed === '' || trimmed.startsWith('#')) return null;
  const eq = trimmed.indexOf('=');
  return eq > 0 ? trimmed.slice(0, eq).trim() : null;
}
