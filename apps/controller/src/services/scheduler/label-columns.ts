import type { Constraint, SchedulingHost } from './scheduler.types.js';

// Label values interned per label: values[host] is the id of its value, -1 when it lacks the label.
export interface LabelColumn {
  values: Int32Array;
  ids: Map<string, number>;
}

// A label constraint over interned values: accepts[valueId + 1], where -1 stands for "no such label".
export interface CompiledConstraint {
  values: Int32Array;
  accepts: Uint8Array;
}

export function labelColumn(hosts: readonly SchedulingHost[], label: string): LabelColumn {
  const ids = new Map<string, number>();
  const values = new Int32Array(hosts.length);
  for (let i = 0; i < hosts.length; i++) {
    const labels = hosts[i]!.labels;
    if (!Object.hasOwn(labels, label)) {
      values[i] = -1;
      continue;
    }
    const value = labels[label]!;
    let id = ids.get(value);
    if (id === undefined) {
      id = ids.size;
      ids.set(value, id);
    }
    values[i] = id;
  }
  return { values, ids };
}

// The constraints as lookups over interned label values.
export function compileConstraints(
  constraints: readonly Constraint[],
  column: (label: string) => LabelColumn,
): CompiledConstraint[] {
  return constraints.map((c) => {
    const { values, ids } = column(c.label);
    // accepts[0]: hosts without the label; accepts[id + 1]: hosts whose value has that id.
    const accepts = new Uint8Array(ids.size + 1);
    const mark = (list: readonly string[], to: 0 | 1) => {
      for (const v of list) {
        const id = ids.get(v);
        if (id !== undefined) accepts[id + 1] = to;
      }
    };
    switch (c.op) {
      case '=':
        mark([c.value], 1);
        break;
      case '!=':
        accepts.fill(1);
        mark([c.value], 0);
        break;
      case 'in':
        mark(c.values, 1);
        break;
      case 'not in':
        accepts.fill(1);
        mark(c.values, 0);
        break;
      case 'exists':
        accepts.fill(1, 1);
        break;
    }
    return { values, accepts };
  });
}
