// The registry scripts/engines-up.sh runs (Debian's docker-registry, distribution 2.8): one storage,
// served open on :5510 (tests push there) and behind htpasswd auth on :5511. The address sits on
// the root namespace's loopback; netns fleet hosts reach it through their veth (test/fleet routes it).
export const REGISTRY_ADDRESS = '10.251.255.1';
export const REGISTRY_OPEN = `${REGISTRY_ADDRESS}:5510`;
export const REGISTRY_AUTH = `${REGISTRY_ADDRESS}:5511`;
export const REGISTRY_USER = 'corral-puller';
export const REGISTRY_PASSWORD = 'reg-Secret-7c1e9a';
// Pushed by engines-up.sh: FROM corral-test/busybox plus a 256 KiB layer, CMD sleep 3600.
export const PULL_REPOSITORY = 'corral/pullme';
export const PULL_TAG = '1';
