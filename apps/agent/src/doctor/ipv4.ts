// IPv4 arithmetic for subnets and ranges; null for anything that is not a dotted quad.
export function ipToInt(ip: string): number | null {
  const parts = ip.split('.');
  if (parts.length !== 4) return null;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return null;
    n = n * 256 + Number(p);
  }
  return n;
}

export function intToIp(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

export interface Cidr {
  network: number;
  prefix: number;
}

export function parseCidr(text: string): Cidr | null {
  const [ip, len] = text.split('/');
  const n = ipToInt(ip ?? '');
  const prefix = len === undefined ? 32 : Number(len);
  if (n === null || !Number.isInteger(prefix) || prefix < 0 || prefix > 32) return null;
  const size = 2 ** (32 - prefix);
  return { network: n - (n % size), prefix };
}

export function cidrText(c: Cidr): string {
  return `${intToIp(c.network)}/${c.prefix}`;
}

export function cidrContains(outer: Cidr, ip: number): boolean {
  const size = 2 ** (32 - outer.prefix);
  return ip >= outer.network && ip < outer.network + size;
}

// `outer` holds every address of `inner`.
export function cidrCovers(outer: Cidr, inner: Cidr): boolean {
  return outer.prefix <= inner.prefix && cidrContains(outer, inner.network);
}
