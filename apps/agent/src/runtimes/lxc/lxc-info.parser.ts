import type { ParseWarning } from '../../lib/parse-warning.js';

export interface LxcLinkStats {
  name: string;
  txBytes: number | null;
  rxBytes: number | null;
}

export interface LxcInfo {
  name: string | null;
  state: string | null;
  pid: number | null;
  ips: string[];
  memoryBytes: number | null;
  cpuNs: number | null;
  links: LxcLinkStats[];
  warnings: ParseWarning[];
}

// Parses `lxc-info -H` "Key: value" lines; indented lines belong to the Link above them.
export function parseLxcInfo(text: string): LxcInfo {
  const info: LxcInfo = {
    name: null,
    state: null,
    pid: null,
    ips: [],
    memoryBytes: null,
    cpuNs: null,
    links: [],
    warnings: [],
  };
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const match = /^(\s*)([^:]+):\s*(.*)$/.exec(line);
    if (!match) {
      info.warnings.push({ line: i + 1, text: line, reason: 'not a "key: value" line' });
      continue;
    }
    const [, indent, rawKey, rawValue] = match;
    const key = rawKey!.trim().toLowerCase();
    const val = rawValue!.trim();
    const link = info.links.at(-1);
    if (indent && link) {
      if (key === 'tx bytes') link.txBytes = int(val);
      else if (key === 'rx bytes') link.rxBytes = int(val);
      continue;
    }
    switch (key) {
      case 'name':
        info.name = val;
        break;
      case 'state':
        info.state = val;
        break;
      case 'pid':
        info.pid = int(val);
        break;
      case 'ip':
        if (val) info.ips.push(val);
        break;
      case 'memory use':
        info.memoryBytes = int(val);
        break;
      case 'cpu use':
        info.cpuNs = int(val);
        break;
      case 'link':
        info.links.push({ name: val, txBytes: null, rxBytes: null });
        break;
      default:
        // Other keys (BlkIO, KMem, ...) are not reported.
        break;
    }
  }
  return info;
}

// -H prints raw integers; anything else (a unit suffix) means the value cannot be trusted as bytes.
function int(value: string): number | null {
  return /^\d+$/.test(value) ? Number(value) : null;
}
