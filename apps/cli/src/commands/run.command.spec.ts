import { describe, expect, it } from 'vitest';
import { parseBytes, parseDuration } from '../lib/output.js';
import { parseConstraint, parsePort, parseVolume, specOf } from './run.command.js';

describe('run flags', () => {
  it('reads ports as docker does', () => {
    expect(parsePort('8080:80')).toEqual({ containerPort: 80, hostPort: 8080, protocol: 'tcp' });
    expect(parsePort('127.0.0.1::53/udp')).toEqual({ containerPort: 53, protocol: 'udp', hostIp: '127.0.0.1' });
    expect(parsePort('80')).toEqual({ containerPort: 80, protocol: 'tcp' });
    expect(() => parsePort('web:80')).toThrow(/HOST_PORT/);
  });

  it('reads volumes and constraints', () => {
    expect(parseVolume('data:/data:ro')).toEqual({ source: 'data', target: '/data', readOnly: true });
    expect(() => parseVolume('data')).toThrow(/SOURCE/);
    expect(parseConstraint('zone=eu')).toEqual({ label: 'zone', op: '=', value: 'eu' });
    expect(parseConstraint('zone!=us')).toEqual({ label: 'zone', op: '!=', value: 'us' });
    expect(parseConstraint('disk in ssd, nvme')).toEqual({ label: 'disk', op: 'in', values: ['ssd', 'nvme'] });
    expect(parseConstraint('gpu exists')).toEqual({ label: 'gpu', op: 'exists' });
    expect(() => parseConstraint('zone')).toThrow(/KEY=VALUE/);
  });

  it('reads sizes and durations', () => {
    expect(parseBytes('512m')).toBe(512 * 1024 * 1024);
    expect(parseBytes('1.5GiB')).toBe(1.5 * 1024 ** 3);
    expect(parseBytes('lots')).toBeNull();
    expect(parseDuration('90')).toBe(90);
    expect(parseDuration('2h')).toBe(7200);
    expect(parseDuration('soon')).toBeNull();
  });

  it('asks the volume guard to let a volume pass only with --force-volumes', () => {
    const base = { runtime: 'docker', env: [], publish: [], volume: ['pgdata:/data'], label: [], constraint: [] };
    expect(specOf('mysql:8', [], base)).not.toHaveProperty('force');
    expect(specOf('mysql:8', [], { ...base, forceVolumes: true })).toMatchObject({
      force: true,
      mounts: [{ source: 'pgdata', target: '/data', readOnly: false }],
    });
  });
});
