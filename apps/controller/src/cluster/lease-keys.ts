// The jobs one replica at a time runs: the offline sweep, the command deadline sweep and retention.
export const LEASE_JOB = 'sweepers';
// pg_try_advisory_lock(LEASE_NAMESPACE, LEASE_KEY): distinct from the migrator's single-key lock.
export const LEASE_NAMESPACE = 72707370;
export const LEASE_KEY = 1;
// The ClusterSetting row naming the holder: its replica id and the backend pid of its lease
// connection, which pg_locks shows holding the lock for as long as it does (see leaseHolder()).
export const LEASE_HOLDER_KEY = `lease:${LEASE_JOB}`;
