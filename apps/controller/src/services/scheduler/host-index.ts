import { type Before, CPU_EPSILON, type FreeCpu, locate, move, refreshCpu, skipCpu } from './band-orders.js';
import type { IndexedCandidate, RejectedHost, ReplicaDecision, Reservation } from './decision.types.js';
import { MAX_EXAMPLES, MAX_REASONS } from './decision.types.js';
import { ANTI_AFFINITY, CPU, FILTERS, HOSTS, MEMORY } from './filters.js';
import { compileConstraints, type LabelColumn, labelColumn } from './label-columns.js';
import type { Demand, SchedulingHost, Strategy } from './scheduler.types.js';
import { buildView, CORDONED_FLAG, FACTS_FLAG, ONLINE_FLAG, type View } from './views.js';

export type { Candidate, IndexedCandidate, RejectedHost, ReplicaDecision, Reservation } from './decision.types.js';
export { MAX_EXAMPLES, MAX_REASONS } from './decision.types.js';

// Hosts that are online, uncordoned and have facts, grouped by allocatable memory: one band per size
// when the fleet has few sizes, else bands of sizes within about 2% of each other.
interface Band {
  // Smallest and largest allocatable memory in the band.
  lo: number;
  hi: number;
  // One size (or hosts reporting 0): scores follow free bytes exactly, and a host's score is the
  // largest (spread) or smallest (binpack) of the hosts after it.
  exact: boolean;
  // Host indices in spread order (most free first) and binpack order (least free first); equal free in
  // rank order (fewer containers, hostname, id).
  spread: Int32Array;
  binpack: Int32Array;
}

const exactBytes = (n: number) => Number.isInteger(n) && Math.abs(n) <= EXACT_BYTES;

const nameBefore = (a: SchedulingHost, b: SchedulingHost) =>
  a.hostname !== b.hostname ? a.hostname < b.hostname : a.id < b.id;

// Each host's position in (hostname, id) order; hosts usually come in that order already (the capacity query sorts so).
function rankByName(hosts: readonly SchedulingHost[]): Int32Array {
  const n = hosts.length;
  const rank = new Int32Array(n);
  let sorted = true;
  for (let i = 1; i < n && sorted; i++) sorted = nameBefore(hosts[i - 1]!, hosts[i]!);
  if (sorted) {
    for (let i = 0; i < n; i++) rank[i] = i;
    return rank;
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (nameBefore(hosts[a]!, hosts[b]!) ? -1 : 1));
  for (let k = 0; k < n; k++) rank[order[k]!] = k;
  return rank;
}

// One band per allocatable size up to this many sizes; beyond, bands of sizes within 2^(1/32) of each other.
export const MAX_EXACT_BANDS = 128;
export const BANDS_PER_DOUBLING = 32;
// Bytes within this make every free - requested exact and every division by a size distinct.
const EXACT_BYTES = 2 ** 50;
// Added to each band's bound so that rounding never makes it smaller than a score it covers.
const SLACK = 1e-9;
// Views kept, most recently used first out last; each reservation repositions its host in all of them.
const MAX_VIEWS = 8;

// The hosts of a decision batch as typed arrays: capacities and use, flags, runtimes as a bitmask, group
// counts per group, label columns of interned values, and the schedulable hosts ordered by free memory
// fraction within bands of similar size. Reservations update it in place.
//
// `decide` chooses exactly the host (and the best candidates) a full scan through FILTERS would, but
// evaluates hosts in descending bound of their score and stops once no unseen host can beat the
// candidates it keeps. Hosts rejected by online, cordon, runtime, facts and labels are counted once
// per view (runtime and constraints).
export class HostIndex {
  readonly size: number;
  private readonly hosts: readonly SchedulingHost[];
  private readonly memory: Float64Array;
  private readonly cpus: Float64Array;
  private readonly memoryUsed: Float64Array;
  private readonly cpusUsed: Float64Array;
  private readonly containers: Float64Array;
  private readonly flags: Uint8Array;
  private readonly runtimeMask: Uint32Array;
  private readonly runtimeBits = new Map<string, number>();
  // What orders a host within its band: free bytes in an exact band, else the free memory fraction.
  private readonly key: Float64Array;
  // Position of each host in (hostname, id) order.
  private readonly rank: Int32Array;
  private readonly bandOf: Int32Array;
  // Containers as of the host's place in its band's orders (`containers` may be ahead until `reposition`).
  private readonly orderedContainers: Float64Array;
  private readonly bands: Band[] = [];
  // Every size and use a whole number of bytes within EXACT_BYTES: equal scores in an exact band mean
  // equal free bytes, so the rank order of its hosts settles ties without evaluating them.
  private integral = true;
  private readonly groups = new Map<string, Int32Array>();
  private readonly columns = new Map<string, LabelColumn>();
  private readonly views = new Map<string, View>();
  // Positions of a host in the views' orders while it is repositioned.
  private readonly scratch = new Int32Array(2 * MAX_VIEWS);
  private readonly beforeFn: Before = (a, b, spread) => this.before(a, b, spread);
  private readonly freeCpu: FreeCpu = (i) => this.cpus[i]! - this.cpusUsed[i]!;
  private readonly scopes = new WeakMap<ReadonlySet<string>, Uint8Array>();
  private ids: Map<string, number> | null = null;

  // `group`: the group whose members `groupContainers` counts on these hosts, if any.
  constructor(
    hosts: readonly SchedulingHost[],
    group: string | null = null,
    options: { maxExactBands?: number; bandsPerDoubling?: number } = {},
  ) {
    const n = hosts.length;
    this.size = n;
    this.hosts = hosts;
    this.memory = new Float64Array(n);
    this.cpus = new Float64Array(n);
    this.memoryUsed = new Float64Array(n);
    this.cpusUsed = new Float64Array(n);
    this.containers = new Float64Array(n);
    this.flags = new Uint8Array(n);
    this.runtimeMask = new Uint32Array(n);
    this.key = new Float64Array(n);
    this.rank = rankByName(hosts);
    this.bandOf = new Int32Array(n).fill(-1);
    this.orderedContainers = new Float64Array(n);
    const members = group === null ? null : new Int32Array(n);
    const schedulable: number[] = [];
    const sizes = new Set<number>();
    for (let i = 0; i < n; i++) {
      const h = hosts[i]!;
      const total = h.memoryBytes ?? 0;
      this.memory[i] = total;
      this.cpus[i] = h.cpus ?? 0;
      this.memoryUsed[i] = h.memoryUsedBytes;
      this.cpusUsed[i] = h.cpusUsed;
      this.containers[i] = h.containers;
      this.orderedContainers[i] = h.containers;
      const facts = h.memoryBytes !== null && h.cpus !== null;
      this.flags[i] = (h.online ? ONLINE_FLAG : 0) | (h.cordoned ? CORDONED_FLAG : 0) | (facts ? FACTS_FLAG : 0);
      if (members) members[i] = h.groupContainers;
      if (!exactBytes(total) || !exactBytes(h.memoryUsedBytes)) this.integral = false;
      if (!h.online || h.cordoned || !facts) continue;
      schedulable.push(i);
      sizes.add(Math.max(total, 0));
    }
    if (members) this.groups.set(group!, members);
    const bySize = sizes.size <= (options.maxExactBands ?? MAX_EXACT_BANDS);
    const perDoubling = options.bandsPerDoubling ?? BANDS_PER_DOUBLING;
    const byBand = new Map<number, number[]>();
    for (const i of schedulable) {
      const total = this.memory[i]!;
      const band = total <= 0 ? 0 : bySize ? total : -Math.floor(Math.log2(total) * perDoubling) - 1;
      const list = byBand.get(band);
      if (list) list.push(i);
      else byBand.set(band, [i]);
    }
    for (const list of byBand.values()) {
      let lo = Number.POSITIVE_INFINITY;
      let hi = Number.NEGATIVE_INFINITY;
      for (const i of list) {
        lo = Math.min(lo, this.memory[i]!);
        hi = Math.max(hi, this.memory[i]!);
      }
      const b = this.bands.length;
      const exact = lo === hi || hi <= 0;
      for (const i of list) {
        this.bandOf[i] = b;
        this.key[i] = this.keyOf(i, exact);
      }
      const spread = Int32Array.from(list).sort((x, y) => (this.before(x, y, true) ? -1 : 1));
      // Binpack order: spread order reversed, each run of equal key turned back to rank order.
      const binpack = spread.slice().reverse();
      for (let start = 0; start < binpack.length; ) {
        let end = start + 1;
        while (end < binpack.length && this.key[binpack[end]!] === this.key[binpack[start]!]) end++;
        if (end - start > 1) binpack.subarray(start, end).reverse();
        start = end;
      }
      this.bands.push({ lo, hi, exact, spread, binpack });
    }
  }

  // Sets how many members of `group` each host holds (replacing what the index knew).
  setGroupContainers(group: string, counts: ArrayLike<number>): void {
    this.groups.set(group, Int32Array.from(counts));
  }

  // The host at `index` as it stands now; `placedHere`: replicas of the current request on it.
  view(index: number, group: string | null, placedHere = 0): SchedulingHost {
    const h = this.hosts[index]!;
    return {
      ...h,
      memoryUsedBytes: this.memoryUsed[index]!,
      cpusUsed: this.cpusUsed[index]!,
      containers: this.containers[index]!,
      groupContainers: group === null ? h.groupContainers : this.groupColumn(group)[index]!,
      placedHere: h.placedHere + placedHere,
    };
  }

  // One more replica of `demand` on the host at `index` (its group too, unless `demand.group` is null).
  reserve(index: number, demand: Pick<Demand, 'memoryBytes' | 'cpus' | 'group'>): Reservation {
    const column = demand.group === null ? null : this.groupColumn(demand.group);
    const saved: Reservation = {
      index,
      memoryUsedBytes: this.memoryUsed[index]!,
      cpusUsed: this.cpusUsed[index]!,
      containers: this.containers[index]!,
      group: demand.group,
      groupContainers: column ? column[index]! : 0,
    };
    this.memoryUsed[index]! += demand.memoryBytes;
    if (!exactBytes(this.memoryUsed[index]!)) this.integral = false;
    this.cpusUsed[index]! += demand.cpus;
    this.containers[index]! += 1;
    if (column) column[index]! += 1;
    this.reposition(index);
    return saved;
  }

  // Sets what is counted on the host at `index` (a re-read of its capacity), and moves it to its place.
  setUse(index: number, use: Pick<SchedulingHost, 'memoryUsedBytes' | 'cpusUsed' | 'containers'>): void {
    this.memoryUsed[index] = use.memoryUsedBytes;
    this.cpusUsed[index] = use.cpusUsed;
    this.containers[index] = use.containers;
    if (!exactBytes(use.memoryUsedBytes)) this.integral = false;
    this.reposition(index);
  }

  // Sets how many members of `group` the host at `index` holds; group counts order nothing.
  setGroupCount(group: string, index: number, count: number): void {
    this.groupColumn(group)[index] = count;
  }

  groupCount(group: string, index: number): number {
    return this.groups.get(group)?.[index] ?? 0;
  }

  hasGroup(group: string): boolean {
    return this.groups.has(group);
  }

  dropGroup(group: string): void {
    this.groups.delete(group);
  }

  // The host at `index` as the index was built with it (its use as it stands now: see view()).
  hostAt(index: number): SchedulingHost {
    return this.hosts[index]!;
  }

  // Undoes a reservation exactly (the values saved, not arithmetic that could round differently).
  restore(saved: Reservation): void {
    const i = saved.index;
    this.memoryUsed[i] = saved.memoryUsedBytes;
    this.cpusUsed[i] = saved.cpusUsed;
    this.containers[i] = saved.containers;
    if (saved.group !== null) this.groupColumn(saved.group)[i] = saved.groupContainers;
    this.reposition(i);
  }

  // One decision. `placed`: replicas of this request per host index so far (for the reasons).
  decide(
    demand: Demand,
    strategy: Strategy,
    keep: number,
    placed: ReadonlyMap<number, number>,
    replica: number,
  ): ReplicaDecision {
    keep = Math.max(1, keep);
    if (demand.hostIds !== null) return this.scan(demand, strategy, keep, placed, replica, this.scope(demand.hostIds));
    const view = this.viewOf(demand);
    const members = demand.group === null ? null : this.groupColumn(demand.group);
    const memory = demand.memoryBytes;
    const cpus = demand.cpus;
    const spread = strategy === 'spread';
    const bands = this.bands;
    const orders = spread ? view.spread : view.binpack;
    const cpuBlocks = spread ? view.spreadCpu : view.binpackCpu;
    const nb = bands.length;
    const cursor = new Int32Array(nb);
    const bound = new Float64Array(nb);
    for (let b = 0; b < nb; b++) {
      const band = bands[b]!;
      const order = orders[b]!;
      let start = 0;
      if (!spread && memory > 0) {
        // Binpack meets the hosts with least free first: skip those surely below what is asked. In an
        // exact band that is free < memory itself; else a fraction below memory / hi.
        const threshold = band.exact ? memory : memory / band.hi - SLACK;
        let hi = order.length;
        while (start < hi) {
          const mid = (start + hi) >>> 1;
          if (this.key[order[mid]!]! < threshold) start = mid + 1;
          else hi = mid;
        }
      }
      start = skipCpu(order, cpuBlocks[b]!, start, cpus);
      cursor[b] = start;
      bound[b] = this.bound(band, order, start, memory, spread);
    }
    // Ties within an exact band are settled by its order (see `integral`).
    const settled = this.integral && exactBytes(memory);

    const rejected = Int32Array.from(view.counts);
    const dynamic: RejectedHost[] = [];
    const exampleCount = new Uint8Array(FILTERS.length + 1);
    const bestIndex: number[] = [];
    const bestScore: number[] = [];
    let bar = Number.NEGATIVE_INFINITY;
    let evaluated = 0;
    let feasible = 0;
    for (;;) {
      let b = -1;
      let top = Number.NEGATIVE_INFINITY;
      for (let k = 0; k < nb; k++) {
        if (bound[k]! > top) {
          top = bound[k]!;
          b = k;
        }
      }
      if (b < 0) break;
      const band = bands[b]!;
      const order = orders[b]!;
      const p = cursor[b]!;
      const i = order[p]!;
      if (bestIndex.length === keep) {
        // No unseen host can score above the kept candidates' last: the rest rank below them.
        if (top < bar) break;
        // An exact band's head scores `top`, and the hosts after it rank after it.
        if (band.exact && settled && top === bar && !this.ranksBefore(i, top, bestIndex[keep - 1]!, bar)) {
          bound[b] = Number.NEGATIVE_INFINITY;
          continue;
        }
      }
      const next = skipCpu(order, cpuBlocks[b]!, p + 1, cpus);
      cursor[b] = next;
      bound[b] = this.bound(band, order, next, memory, spread);
      evaluated++;
      let code = 0;
      if (members !== null && members[i]! > 0) code = ANTI_AFFINITY;
      else if (code === 0 && memory > 0 && this.memory[i]! - this.memoryUsed[i]! < memory) code = MEMORY;
      else if (code === 0 && cpus > 0 && this.cpus[i]! - this.cpusUsed[i]! + CPU_EPSILON < cpus) code = CPU;
      if (code !== 0) {
        rejected[code]!++;
        if (exampleCount[code]! < MAX_EXAMPLES) {
          exampleCount[code]!++;
          dynamic.push(this.rejectedHost(i, code, demand, placed));
        }
        continue;
      }
      feasible++;
      const s = this.score(i, memory, spread);
      if (s < bar) continue;
      const full = bestIndex.length === keep;
      if (full && !this.ranksBefore(i, s, bestIndex[keep - 1]!, bestScore[keep - 1]!)) continue;
      let at = bestIndex.length;
      while (at > 0 && this.ranksBefore(i, s, bestIndex[at - 1]!, bestScore[at - 1]!)) at--;
      bestIndex.splice(at, 0, i);
      bestScore.splice(at, 0, s);
      if (bestIndex.length > keep) {
        bestIndex.pop();
        bestScore.pop();
      }
      if (bestIndex.length === keep) bar = bestScore[keep - 1]!;
    }
    // Nothing fits: every host gets its reason, so look at all of them.
    if (feasible === 0) return this.scan(demand, strategy, keep, placed, replica, null);

    const examples: RejectedHost[] = [];
    for (const e of view.examples) {
      examples.push({ host: this.view(e.index, demand.group, placed.get(e.index)), code: e.code, reason: e.reason });
    }
    examples.push(...dynamic);
    const candidates = bestIndex.map((index, k) => ({
      index,
      score: bestScore[k]!,
      host: this.view(index, demand.group, placed.get(index)),
    }));
    return {
      replica,
      inScope: this.size,
      evaluated: view.rejected + evaluated,
      feasible,
      rejected,
      examples,
      candidates,
      chosen: candidates[0] ?? null,
      reasons: [],
    };
  }

  // Every host (or those of `scope`) through every filter, in host order: the reference the early stop
  // must agree with, used for requests naming hosts and when nothing fits.
  private scan(
    demand: Demand,
    strategy: Strategy,
    keep: number,
    placed: ReadonlyMap<number, number>,
    replica: number,
    scope: Uint8Array | null,
  ): ReplicaDecision {
    const view = this.viewOf(demand);
    const members = demand.group === null ? null : this.groupColumn(demand.group);
    const memory = demand.memoryBytes;
    const spread = strategy === 'spread';
    const n = this.size;
    const verdicts = new Uint8Array(n);
    const rejected = new Int32Array(FILTERS.length + 1);
    const examples: RejectedHost[] = [];
    const best: IndexedCandidate[] = [];
    let feasible = 0;
    for (let i = 0; i < n; i++) {
      let code = scope !== null && scope[i] === 0 ? HOSTS : view.codes[i]!;
      if (code === 0 && members !== null && members[i]! > 0) code = ANTI_AFFINITY;
      else if (code === 0 && memory > 0 && this.memory[i]! - this.memoryUsed[i]! < memory) code = MEMORY;
      else if (code === 0 && demand.cpus > 0 && this.cpus[i]! - this.cpusUsed[i]! + CPU_EPSILON < demand.cpus)
        code = CPU;
      verdicts[i] = code;
      if (code !== 0) {
        rejected[code]!++;
        if (code !== HOSTS && rejected[code]! <= MAX_EXAMPLES)
          examples.push(this.rejectedHost(i, code, demand, placed));
        continue;
      }
      feasible++;
      const s = this.score(i, memory, spread);
      if (best.length === keep && !this.ranksBefore(i, s, best[keep - 1]!.index, best[keep - 1]!.score)) continue;
      let at = best.length;
      while (at > 0 && this.ranksBefore(i, s, best[at - 1]!.index, best[at - 1]!.score)) at--;
      best.splice(at, 0, { index: i, score: s, host: this.hosts[i]! });
      if (best.length > keep) best.pop();
    }
    const candidates = best.map((c) => ({ ...c, host: this.view(c.index, demand.group, placed.get(c.index)) }));
    const reasons: string[] = [];
    if (feasible === 0) {
      for (let i = 0; i < n && reasons.length < MAX_REASONS; i++) {
        const code = verdicts[i]!;
        if (code === HOSTS) continue;
        reasons.push(`${this.hosts[i]!.hostname}: ${this.reason(i, code, demand, placed)}`);
      }
    }
    const inScope = n - rejected[HOSTS]!;
    return {
      replica,
      inScope,
      evaluated: inScope,
      feasible,
      rejected,
      examples: examples.sort((a, b) => a.code - b.code),
      candidates,
      chosen: candidates[0] ?? null,
      reasons,
    };
  }

  private rejectedHost(i: number, code: number, demand: Demand, placed: ReadonlyMap<number, number>): RejectedHost {
    const host = this.view(i, demand.group, placed.get(i));
    return { host, code, reason: FILTERS[code - 1]!.reason(host, demand) };
  }

  private reason(i: number, code: number, demand: Demand, placed: ReadonlyMap<number, number>): string {
    return FILTERS[code - 1]!.reason(this.view(i, demand.group, placed.get(i)), demand);
  }

  // As score() in score.ts, on the arrays.
  private score(i: number, memory: number, spread: boolean): number {
    const total = this.memory[i]!;
    const freeAfter = total > 0 ? (total - this.memoryUsed[i]! - memory) / total : 0;
    return spread ? freeAfter : 1 - freeAfter;
  }

  // As ranksBefore() in score.ts: higher score, then fewer containers, then hostname, then id (as `rank`).
  private ranksBefore(a: number, aScore: number, b: number, bScore: number): boolean {
    if (aScore !== bScore) return aScore > bScore;
    return this.rankTie(a, b);
  }

  // No host at position `p` of the band's order or after it scores above this. Exact band: the score of
  // the host at `p`. Else, spread: score = fraction - memory / total, the fraction only falls and total
  // <= hi; binpack: score = 1 - fraction + memory / total, the fraction only rises and total >= lo.
  private bound(band: Band, order: Int32Array, p: number, memory: number, spread: boolean): number {
    if (p >= order.length) return Number.NEGATIVE_INFINITY;
    const i = order[p]!;
    if (band.exact) return this.score(i, memory, spread);
    const key = this.key[i]!;
    return (spread ? key - memory / band.hi : 1 - key + memory / band.lo) + SLACK;
  }

  private keyOf(i: number, exact: boolean): number {
    const total = this.memory[i]!;
    if (total <= 0) return 0;
    return exact ? total - this.memoryUsed[i]! : (total - this.memoryUsed[i]!) / total;
  }

  // Same key: fewer containers, then hostname, then id first.
  private rankTie(a: number, b: number): boolean {
    const ca = this.containers[a]!;
    const cb = this.containers[b]!;
    return ca !== cb ? ca < cb : this.rank[a]! < this.rank[b]!;
  }

  // Whether host a comes before host b in the band's spread (or binpack) order, as the hosts were placed.
  private before(a: number, b: number, spread: boolean): boolean {
    const ka = this.key[a]!;
    const kb = this.key[b]!;
    if (ka !== kb) return spread ? ka > kb : ka < kb;
    const ca = this.orderedContainers[a]!;
    const cb = this.orderedContainers[b]!;
    return ca !== cb ? ca < cb : this.rank[a]! < this.rank[b]!;
  }

  // Moves the host to its place in both orders of its band, and of the views holding it, after its use changed.
  private reposition(i: number): void {
    const b = this.bandOf[i]!;
    if (b < 0) return;
    const band = this.bands[b]!;
    // Where it is now, found with the values it was placed by; then its new values.
    const inSpread = locate(band.spread, i, true, this.beforeFn);
    const inBinpack = locate(band.binpack, i, false, this.beforeFn);
    let k = 0;
    for (const view of this.views.values()) {
      if (view.codes[i] === 0) {
        this.scratch[k] = locate(view.spread[b]!, i, true, this.beforeFn);
        this.scratch[k + 1] = locate(view.binpack[b]!, i, false, this.beforeFn);
      }
      k += 2;
    }
    this.key[i] = this.keyOf(i, band.exact);
    this.orderedContainers[i] = this.containers[i]!;
    move(band.spread, inSpread, i, true, this.beforeFn);
    move(band.binpack, inBinpack, i, false, this.beforeFn);
    k = 0;
    for (const view of this.views.values()) {
      if (view.codes[i] === 0) {
        const from = this.scratch[k]!;
        const to = move(view.spread[b]!, from, i, true, this.beforeFn);
        refreshCpu(view.spread[b]!, view.spreadCpu[b]!, from, to, this.freeCpu);
        const at = this.scratch[k + 1]!;
        const moved = move(view.binpack[b]!, at, i, false, this.beforeFn);
        refreshCpu(view.binpack[b]!, view.binpackCpu[b]!, at, moved, this.freeCpu);
      }
      k += 2;
    }
  }

  // The runtime's bit in `runtimeMask`, set on the hosts that report it available the first time it is asked.
  private runtimeBit(name: Demand['runtime']): number {
    let bit = this.runtimeBits.get(name);
    if (bit === undefined) {
      if (this.runtimeBits.size >= 32) throw new Error('more than 32 runtimes');
      bit = 1 << this.runtimeBits.size;
      this.runtimeBits.set(name, bit);
      for (let i = 0; i < this.size; i++) {
        if (this.hosts[i]!.runtimes[name]?.available === true) this.runtimeMask[i]! |= bit;
      }
    }
    return bit;
  }

  // The view of the demand's runtime and constraints, made on first use (from the bands' orders, which
  // stay sorted when filtered).
  private viewOf(demand: Demand): View {
    const key =
      demand.constraints.length === 0 ? demand.runtime : `${demand.runtime} ${JSON.stringify(demand.constraints)}`;
    let view = this.views.get(key);
    if (view) {
      // Most recently used last.
      this.views.delete(key);
      this.views.set(key, view);
      return view;
    }
    const bit = this.runtimeBit(demand.runtime);
    const labels = compileConstraints(demand.constraints, (label) => this.column(label));
    view = buildView({
      size: this.size,
      flags: this.flags,
      runtimeMask: this.runtimeMask,
      bit,
      labels,
      hosts: this.hosts,
      bands: this.bands,
      demand,
      freeCpu: this.freeCpu,
    });
    if (this.views.size === MAX_VIEWS) this.views.delete(this.views.keys().next().value!);
    this.views.set(key, view);
    return view;
  }

  private groupColumn(group: string): Int32Array {
    let column = this.groups.get(group);
    if (!column) {
      column = new Int32Array(this.size);
      this.groups.set(group, column);
    }
    return column;
  }

  // The hosts of a request's `hosts`, as a mask over the index.
  private scope(hostIds: ReadonlySet<string>): Uint8Array {
    let mask = this.scopes.get(hostIds);
    if (mask) return mask;
    if (!this.ids) this.ids = new Map(this.hosts.map((h, i) => [h.id, i]));
    mask = new Uint8Array(this.size);
    for (const id of hostIds) {
      const i = this.ids.get(id);
      if (i !== undefined) mask[i] = 1;
    }
    this.scopes.set(hostIds, mask);
    return mask;
  }

  private column(label: string): LabelColumn {
    let column = this.columns.get(label);
    if (!column) {
      column = labelColumn(this.hosts, label);
      this.columns.set(label, column);
    }
    return column;
  }
}
