// The orders a band keeps its hosts in, kept sorted as hosts' use changes, and the per-block most
// free CPU that lets a decision skip blocks of hosts without the CPU asked.

export const BLOCK_BITS = 5;
export const BLOCK = 1 << BLOCK_BITS;
// As in the cpu filter.
export const CPU_EPSILON = 1e-9;

// Whether host a comes before host b in a band's spread (or binpack) order.
export type Before = (a: number, b: number, spread: boolean) => boolean;
// A host's free CPU.
export type FreeCpu = (i: number) => number;

export function locate(order: Int32Array, i: number, spread: boolean, before: Before): number {
  let lo = 0;
  let hi = order.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (before(order[mid]!, i, spread)) lo = mid + 1;
    else hi = mid;
  }
  if (order[lo] !== i) throw new Error('scheduling index: a host is out of order');
  return lo;
}

// Binary search for the host's new place, then one shift of the hosts between.
export function move(order: Int32Array, p: number, i: number, spread: boolean, before: Before): number {
  const last = order.length - 1;
  if (p > 0 && before(i, order[p - 1]!, spread)) {
    let lo = 0;
    let hi = p - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (before(i, order[mid]!, spread)) hi = mid;
      else lo = mid + 1;
    }
    order.copyWithin(lo + 1, lo, p);
    order[lo] = i;
    return lo;
  }
  if (p < last && before(order[p + 1]!, i, spread)) {
    let lo = p + 1;
    let hi = last;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (before(order[mid]!, i, spread)) lo = mid;
      else hi = mid - 1;
    }
    order.copyWithin(p, p + 1, lo + 1);
    order[lo] = i;
    return lo;
  }
  return p;
}

// The most free CPU among the hosts of a block.
export function blockCpu(order: Int32Array, block: number, free: FreeCpu): number {
  let max = Number.NEGATIVE_INFINITY;
  const end = Math.min(order.length, (block + 1) << BLOCK_BITS);
  for (let p = block << BLOCK_BITS; p < end; p++) {
    const i = order[p]!;
    const f = free(i);
    if (f > max) max = f;
  }
  return max;
}

// After a host moved from `from` to `to` in `order`: the blocks at both ends are recomputed; each
// block between gained one host from its neighbour and lost one, so it takes the gained host's free
// CPU if larger (the figure stays at least the true most, which is all skipping needs).
export function refreshCpu(order: Int32Array, cpu: Float64Array, from: number, to: number, free: FreeCpu): void {
  const first = Math.min(from, to) >> BLOCK_BITS;
  const last = Math.max(from, to) >> BLOCK_BITS;
  cpu[first] = blockCpu(order, first, free);
  if (last === first) return;
  cpu[last] = blockCpu(order, last, free);
  for (let block = first + 1; block < last; block++) {
    // Moving up, hosts shifted right: a block gained its first host; moving down, its last.
    const p = to < from ? block << BLOCK_BITS : ((block + 1) << BLOCK_BITS) - 1;
    const i = order[p]!;
    const f = free(i);
    if (f > cpu[block]!) cpu[block] = f;
  }
}

// The first position from `p` on that is not in a block with too little free CPU for `cpus`.
export function skipCpu(order: Int32Array, cpu: Float64Array, p: number, cpus: number): number {
  if (cpus <= 0) return p;
  while (p < order.length && cpu[p >> BLOCK_BITS]! + CPU_EPSILON < cpus) p = ((p >> BLOCK_BITS) + 1) << BLOCK_BITS;
  return Math.min(p, order.length);
}
