// What the one search box was given: an IP address, a MAC address, or text (a host, container or
// image name).
export type SearchTerm =
  | { kind: 'empty' }
  | { kind: 'ip'; value: string }
  | { kind: 'mac'; value: string }
  | { kind: 'text'; value: string };

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
const MAC = /^[0-9a-f]{2}([:-][0-9a-f]{2}){5}$/i;

function isIpv6(value: string): boolean {
  if (!/^[0-9a-f:.]+$/i.test(value) || (value.match(/:/g) ?? []).length < 2) return false;
  try {
    new URL(`http://[${value}]/`);
    return true;
  } catch {
    return false;
  }
}

export function classifySearch(input: string): SearchTerm {
  const value = input.trim();
  if (!value) return { kind: 'empty' };
  if (IPV4.test(value) || isIpv6(value)) return { kind: 'ip', value: value.toLowerCase() };
  if (MAC.test(value)) return { kind: 'mac', value: value.toLowerCase().replaceAll('-', ':') };
  return { kind: 'text', value };
}
