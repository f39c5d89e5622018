export interface FleetSize {
  hosts: number;
  containers: number;
  seed: number;
  connectPerSecond: number;
}

export interface FleetSummary {
  hosts: { online: number; offline: number; total: number };
  totals: { containers: number; images: number; volumes: number; networks: number; bridges: number; leases: number };
}

export const label = (s: FleetSize) => `${s.hosts.toLocaleString('en-US')} x ${s.containers}`;
