import type { DnsmasqProcess } from './doctor.facts.js';

// Reads what a dnsmasq serves from its command line (`--opt=value`, `--opt value`, `-i value`).
export function parseDnsmasqArgv(pid: number, argv: string[]): DnsmasqProcess {
  const values = (long: string, short: string | null): string[] => {
    const out: string[] = [];
    for (let i = 1; i < argv.length; i++) {
      const a = argv[i]!;
      if (a.startsWith(`--${long}=`)) out.push(a.slice(long.length + 3));
      else if ((a === `--${long}` || (short && a === `-${short}`)) && argv[i + 1] !== undefined) out.push(argv[++i]!);
      else if (short && a.startsWith(`-${short}`) && a.length > 2 && !a.startsWith('--')) out.push(a.slice(2));
    }
    return out;
  };
  const interfaces = values('interface', 'i').flatMap((v) => v.split(','));
  const ranges = values('dhcp-range', 'F').flatMap((v) => {
    // [tag:...,][set:...,]start,end[,mode][,netmask][,lease]: the first two dotted quads.
    const quads = v.split(',').filter((p) => /^\d+\.\d+\.\d+\.\d+$/.test(p));
    return quads.length >= 2 ? [{ start: quads[0]!, end: quads[1]! }] : [];
  });
  const leaseFile = values('dhcp-leasefile', 'l')[0] ?? null;
  return { pid, argv, interfaces, ranges, leaseFile };
}
