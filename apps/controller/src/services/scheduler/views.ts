import { BLOCK, BLOCK_BITS, blockCpu, type FreeCpu } from './band-orders.js';
import { MAX_EXAMPLES } from './decision.types.js';
import { CORDON, FACTS, FILTERS, LABELS, ONLINE, RUNTIME } from './filters.js';
import type { CompiledConstraint } from './label-columns.js';
import type { Demand, SchedulingHost } from './scheduler.types.js';

export const ONLINE_FLAG = 1;
export const CORDONED_FLAG = 2;
export const FACTS_FLAG = 4;

// The hosts a runtime and a list of label constraints leave: online, cordon, runtime, facts and labels
// do not change with reservations, so their verdicts are worked out once per view and counted, and a
// decision walks only the hosts that pass them.
export interface View {
  // Per host: 0, or the code of ONLINE, CORDON, RUNTIME, FACTS or LABELS.
  codes: Uint8Array;
  counts: Int32Array;
  rejected: number;
  examples: { index: number; code: number; reason: string }[];
  // Per band of the index, its hosts with code 0, in the band's two orders.
  spread: Int32Array[];
  binpack: Int32Array[];
  // Per band and order, at least the most free CPU among each BLOCK hosts: blocks that cannot give
  // what is asked are skipped whole.
  spreadCpu: Float64Array[];
  binpackCpu: Float64Array[];
}

// What a view is made from: the index's flags and runtime bits, the demand's compiled constraints,
// and the bands' orders it filters (they stay sorted when filtered).
export interface ViewSource {
  size: number;
  flags: Uint8Array;
  runtimeMask: Uint32Array;
  bit: number;
  labels: readonly CompiledConstraint[];
  hosts: readonly SchedulingHost[];
  bands: readonly { spread: Int32Array; binpack: Int32Array }[];
  demand: Demand;
  freeCpu: FreeCpu;
}

export function buildView(src: ViewSource): View {
  const { size, flags, runtimeMask, bit, labels, hosts, bands, demand, freeCpu } = src;
  const codes = new Uint8Array(size);
  const counts = new Int32Array(FILTERS.length + 1);
  const examples: View['examples'] = [];
  let rejected = 0;
  for (let i = 0; i < size; i++) {
    const f = flags[i]!;
    let code =
      (f & ONLINE_FLAG) === 0
        ? ONLINE
        : (f & CORDONED_FLAG) !== 0
          ? CORDON
          : (runtimeMask[i]! & bit) === 0
            ? RUNTIME
            : (f & FACTS_FLAG) === 0
              ? FACTS
              : 0;
    if (code === 0) {
      for (const l of labels) {
        if (l.accepts[l.values[i]! + 1] === 0) {
          code = LABELS;
          break;
        }
      }
    }
    if (code === 0) continue;
    codes[i] = code;
    rejected++;
    if (++counts[code]! <= MAX_EXAMPLES) {
      examples.push({ index: i, code, reason: FILTERS[code - 1]!.reason(hosts[i]!, demand) });
    }
  }
  examples.sort((a, b) => a.code - b.code);
  const passes = (i: number) => codes[i] === 0;
  const spread = bands.map((band) => band.spread.filter(passes));
  const binpack = bands.map((band) => band.binpack.filter(passes));
  const blocks = (order: Int32Array) => {
    const cpu = new Float64Array((order.length + BLOCK - 1) >> BLOCK_BITS);
    for (let block = 0; block < cpu.length; block++) cpu[block] = blockCpu(order, block, freeCpu);
    return cpu;
  };
  return {
    codes,
    counts,
    rejected,
    examples,
    spread,
    binpack,
    spreadCpu: spread.map(blocks),
    binpackCpu: binpack.map(blocks),
  };
}
