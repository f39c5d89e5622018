import { allowedHostsFilter } from './allowed-hosts.filter.js';
import { antiAffinityFilter } from './anti-affinity.filter.js';
import { cordonFilter } from './cordon.filter.js';
import { cpuFilter } from './cpu.filter.js';
import { factsFilter } from './facts.filter.js';
import { labelsFilter } from './labels.filter.js';
import { memoryFilter } from './memory.filter.js';
import { onlineFilter } from './online.filter.js';
import { runtimeFilter } from './runtime.filter.js';
import type { HostFilter } from './scheduler.types.js';

// In the order they are tried; a host's reason is that of the first filter rejecting it.
export const FILTERS: readonly HostFilter[] = [
  allowedHostsFilter,
  onlineFilter,
  cordonFilter,
  runtimeFilter,
  factsFilter,
  labelsFilter,
  antiAffinityFilter,
  memoryFilter,
  cpuFilter,
];

// A filter's code: 1 + its index in FILTERS (0 in a verdict means the host passed them all).
export const HOSTS = 1;
export const ONLINE = 2;
export const CORDON = 3;
export const RUNTIME = 4;
export const FACTS = 5;
export const LABELS = 6;
export const ANTI_AFFINITY = 7;
export const MEMORY = 8;
export const CPU = 9;
