import { cidrCovers, parseCidr } from './ipv4.js';

// One rule of `iptables -S`: its chain, the options it matches on and its target.
export interface IptablesRule {
  chain: string;
  options: Map<string, { value: string; negated: boolean }>;
  target: string | null;
}

function tokens(line: string): string[] {
  const out: string[] = [];
  for (const m of line.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)) out.push(m[1] ?? m[2]!);
  return out;
}

// Rules (`-A CHAIN ...` lines) of `iptables -S` output; policies and chain declarations are skipped.
export function parseIptablesRules(lines: readonly string[]): IptablesRule[] {
  const rules: IptablesRule[] = [];
  for (const line of lines) {
    const t = tokens(line.trim());
    if (t[0] !== '-A' || !t[1]) continue;
    const options = new Map<string, { value: string; negated: boolean }>();
    let target: string | null = null;
    for (let i = 2; i < t.length; i++) {
      const negated = t[i] === '!';
      if (negated) i++;
      const opt = t[i]!;
      if (!opt.startsWith('-')) continue;
      const value = t[i + 1] && !t[i + 1]!.startsWith('-') ? t[++i]! : '';
      if (opt === '-j' || opt === '--jump') target = value;
      else if (!options.has(opt)) options.set(opt, { value, negated });
    }
    rules.push({ chain: t[1], options, target });
  }
  return rules;
}

// `-P CHAIN POLICY` of `iptables -S`.
export function chainPolicy(lines: readonly string[], chain: string): string | null {
  for (const line of lines) {
    const t = tokens(line.trim());
    if (t[0] === '-P' && t[1] === chain) return t[2] ?? null;
  }
  return null;
}

const optionOf = (r: IptablesRule, short: string, long: string) => r.options.get(short) ?? r.options.get(long);

// A MASQUERADE or SNAT rule whose source (none: any) covers the subnet.
export function natCovers(rules: readonly IptablesRule[], subnet: string): boolean {
  const inner = parseCidr(subnet);
  if (!inner) return false;
  return rules.some((r) => {
    if (r.target !== 'MASQUERADE' && r.target !== 'SNAT') return false;
    const source = optionOf(r, '-s', '--source');
    if (!source) return true;
    const outer = parseCidr(source.value);
    return !source.negated && outer !== null && cidrCovers(outer, inner);
  });
}

// An ACCEPT rule for traffic coming in from the bridge (or for all forwarded traffic).
export function forwardAccepts(rules: readonly IptablesRule[], bridge: string): boolean {
  return rules.some((r) => {
    if (r.target !== 'ACCEPT') return false;
    const inIface = optionOf(r, '-i', '--in-interface');
    if (inIface) return !inIface.negated && inIface.value === bridge;
    return r.chain === 'FORWARD' && r.options.size === 0;
  });
}
