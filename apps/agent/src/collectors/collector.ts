import type {
  BridgeRecord,
  ContainerRecord,
  FindingRecord,
  ImageRecord,
  LeaseRecord,
  NetworkRecord,
  RuntimeStatus,
  VolumeRecord,
} from '@corral/protocol';

export interface CollectorOutput {
  containers?: ContainerRecord[];
  images?: ImageRecord[];
  volumes?: VolumeRecord[];
  networks?: NetworkRecord[];
  bridges?: BridgeRecord[];
  leases?: LeaseRecord[];
  findings?: FindingRecord[];
}

export interface Collector {
  readonly name: string;
  // Full current state of what this collector owns; throws when it cannot be read.
  collect(): Promise<CollectorOutput>;
  // Calls onChange when something may have changed (the caller debounces); never throws; returns a stop function.
  watch?(onChange: () => void): () => void;
  // Drops what is cached about those records (by engine id; everything without ids), so the next
  // collect() reads them afresh after a command changed them.
  invalidate?(ids?: readonly string[]): void;
}

export interface RuntimeCollector extends Collector {
  probe(): Promise<RuntimeStatus>;
}
