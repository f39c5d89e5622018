import type { Constraint, HostFilter } from './scheduler.types.js';

export function constraintHolds(labels: Readonly<Record<string, string>>, c: Constraint): boolean {
  const has = Object.hasOwn(labels, c.label);
  const value = has ? labels[c.label] : undefined;
  switch (c.op) {
    case '=':
      return value === c.value;
    case '!=':
      return value !== c.value;
    case 'in':
      return has && c.values.includes(value as string);
    case 'not in':
      return !has || !c.values.includes(value as string);
    case 'exists':
      return has;
  }
}

const list = (values: readonly string[]) => `(${values.join(', ')})`;

function wanted(c: Constraint): string {
  switch (c.op) {
    case '=':
      return `label ${c.label}=${c.value} required`;
    case '!=':
      return `label ${c.label}!=${c.value} required`;
    case 'in':
      return `label ${c.label} in ${list(c.values)} required`;
    case 'not in':
      return `label ${c.label} not in ${list(c.values)} required`;
    case 'exists':
      return `label ${c.label} required`;
  }
}

// "label zone=eu required, has zone=us"; "..., has no zone".
export function constraintReason(labels: Readonly<Record<string, string>>, c: Constraint): string {
  const has = Object.hasOwn(labels, c.label) ? `has ${c.label}=${labels[c.label]}` : `has no ${c.label}`;
  return `${wanted(c)}, ${has}`;
}

// Every constraint must hold on the host's effective labels; the first that fails is the reason.
export const labelsFilter: HostFilter = {
  name: 'labels',
  appliesTo: (demand) => demand.constraints.length > 0,
  rejects: (host, demand) => {
    for (const c of demand.constraints) if (!constraintHolds(host.labels, c)) return true;
    return false;
  },
  reason: (host, demand) => {
    const failed = demand.constraints.find((c) => !constraintHolds(host.labels, c));
    return failed ? constraintReason(host.labels, failed) : 'labels match';
  },
};
