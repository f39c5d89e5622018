import type {
  BridgeRecord,
  ContainerRecord,
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
}

export interface Collector {
  readonly name: string;
  // Full current state of what this collector owns; throws when it cannot be read.
  collect(): Promise<CollectorOutput>;
  // Calls onChange when something may have changed (the caller debounces); never throws; returns a stop function.
  watch?(onChange: () => void): () => void;
  // Drops anything cached, so the next collect() reads the engine afresh (after a command changed it).
  invalidate?(): void;
}

export interface RuntimeCollector extends Collector {
  probe(): Promise<RuntimeStatus>;
}
