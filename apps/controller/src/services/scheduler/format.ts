const UNITS: [number, string][] = [
  [1024 ** 4, 'TiB'],
  [1024 ** 3, 'GiB'],
  [1024 ** 2, 'MiB'],
  [1024, 'KiB'],
];

const trim = (n: number) => String(Number(n.toFixed(2)));

// 1073741824 -> "1 GiB", 536870912 -> "512 MiB", 1610612736 -> "1.5 GiB".
export function formatBytes(bytes: number): string {
  const abs = Math.abs(bytes);
  for (const [size, unit] of UNITS) {
    if (abs >= size) return `${trim(bytes / size)} ${unit}`;
  }
  return `${bytes} B`;
}

export function formatCpus(cpus: number): string {
  const text = trim(cpus);
  return `${text} CPU${text === '1' ? '' : 's'}`;
}
