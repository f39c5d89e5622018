import { type ContainerRecord, type LeaseRecord, type Snapshot, sampleFacts, sampleLease } from '@corral/protocol';

// A snapshot frame of sample facts with the given containers and leases and nothing else.
export const snapshotOf = (
  seq: number,
  containers: ContainerRecord[],
  leases: LeaseRecord[] = [sampleLease],
): Snapshot => ({
  type: 'snapshot',
  seq,
  facts: sampleFacts,
  containers,
  images: [],
  volumes: [],
  networks: [],
  bridges: [],
  leases,
});
