// /proc/meminfo: "MemTotal:  8123456 kB" lines -> bytes by key.
export function parseMeminfo(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^([\w()]+):\s+(\d+)(?:\s+(kB))?\s*$/.exec(line.trim());
    if (!match) continue;
    const amount = Number(match[2]);
    values.set(match[1]!, match[3] ? amount * 1024 : amount);
  }
  return values;
}

export interface MemoryFacts {
  totalBytes: number;
  availableBytes: number;
}

export function memoryFromMeminfo(text: string): MemoryFacts {
  const values = parseMeminfo(text);
  const total = values.get('MemTotal');
  if (total === undefined) throw new Error('/proc/meminfo has no MemTotal');
  // Kernels before 3.14 lack MemAvailable; free + page cache is the usual stand-in.
  const available =
    values.get('MemAvailable') ??
    (values.get('MemFree') ?? 0) + (values.get('Buffers') ?? 0) + (values.get('Cached') ?? 0);
  return { totalBytes: total, availableBytes: Math.min(available, total) };
}

// os-release: shell-style KEY=value with optional quotes and backslash escapes.
export function parseOsRelease(text: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line);
    if (!match) continue;
    let value = match[2]!;
    const quote = value[0];
    if ((quote === '"' || quote === "'") && value.endsWith(quote) && value.length >= 2) {
      value = value.slice(1, -1);
      if (quote === '"') value = value.replace(/\\(["\\`$])/g, '$1');
    }
    values.set(match[1]!, value);
  }
  return values;
}

export function prettyName(osRelease: string): string | null {
  const values = parseOsRelease(osRelease);
  return (
    values.get('PRETTY_NAME') ??
    (values.get('NAME') ? `${values.get('NAME')} ${values.get('VERSION') ?? ''}`.trim() : null)
  );
}
