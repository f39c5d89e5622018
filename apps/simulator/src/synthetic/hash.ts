// Stateless 32-bit mixing, so any record of any host can be rebuilt from (seed, indices) alone
// without keeping it in memory: 10,000 hosts of records would not fit otherwise.
export function mix(...values: number[]): number {
  let h = 0x9e3779b9;
  for (const v of values) {
    h = Math.imul(h ^ (v >>> 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

export function hex32(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}

// `words` 32-bit words of hex, as long as Docker's 64-character ids for words = 8.
export function hexId(words: number, ...values: number[]): string {
  let out = '';
  for (let w = 0; w < words; w++) out += hex32(mix(...values, w));
  return out;
}

// A version-4-shaped UUID, deterministic in its inputs.
export function uuidFrom(...values: number[]): string {
  const h = hexId(4, ...values);
  const variant = ((Number.parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

// A small fast PRNG (mulberry32) for choices that only need to be repeatable for a seed.
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
