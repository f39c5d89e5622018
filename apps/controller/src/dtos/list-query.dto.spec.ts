import { describe, expect, it } from 'vitest';
import {
  BridgeListQuerySchema,
  ContainerListQuerySchema,
  HostListQuerySchema,
  IpAddressSchema,
  LeaseListQuerySchema,
} from './list-query.dto.js';
import { encodeCursor } from './pagination.dto.js';

const issuePaths = (result: { error?: { issues: { path: PropertyKey[]; code: string; keys?: string[] }[] } }) =>
  result.error?.issues.map((i) => (i.code === 'unrecognized_keys' ? i.keys!.join(',') : i.path.join('.')));

describe('container list query', () => {
  const sut = ContainerListQuerySchema;

  it('parses every filter into the form the repository uses', () => {
    const cursor = encodeCursor({ key: 'web-1', id: '3b241101-e2bb-4255-8caf-4136c566a962' });
    expect(
      sut.parse({
        host: ' node-a ',
        runtime: 'lxc',
        state: 'running, stopped,',
        name: 'web',
        label: 'app=web',
        ip: 'FD00::5',
        mac: '00-16-3E-AA-BB-01',
        stale: 'false',
        limit: '25',
        cursor,
      }),
    ).toEqual({
      host: 'node-a',
      runtime: 'lxc',
      state: ['running', 'stopped'],
      name: 'web',
      label: 'app=web',
      ip: 'fd00::5',
      mac: '00:16:3e:aa:bb:01',
      stale: false,
      limit: 25,
      cursor: { key: 'web-1', id: '3b241101-e2bb-4255-8caf-4136c566a962' },
    });
  });

  it('gives the default limit and nothing else when no parameter is given', () => {
    expect(sut.parse({})).toEqual({ limit: 100 });
  });

  it('accepts a repeated state as one list', () => {
    expect(sut.parse({ state: ['running', 'exited'] }).state).toEqual(['running', 'exited']);
  });

  it('names the parameter at fault', () => {
    expect(issuePaths(sut.safeParse({ state: 'running,sleeping' }))).toEqual(['state.1']);
    expect(issuePaths(sut.safeParse({ state: ',' }))).toEqual(['state']);
    expect(issuePaths(sut.safeParse({ runtime: 'kvm' }))).toEqual(['runtime']);
    expect(issuePaths(sut.safeParse({ stale: 'yes' }))).toEqual(['stale']);
    expect(issuePaths(sut.safeParse({ ip: '10.0.3.256' }))).toEqual(['ip']);
    expect(issuePaths(sut.safeParse({ mac: '00:16:3e' }))).toEqual(['mac']);
    expect(issuePaths(sut.safeParse({ name: '  ' }))).toEqual(['name']);
    expect(issuePaths(sut.safeParse({ host: ['a', 'b'] }))).toEqual(['host']);
    expect(issuePaths(sut.safeParse({ colour: 'blue', limit: '5' }))).toEqual(['colour']);
  });
});

describe('filters that do not apply are unknown parameters', () => {
  it.each([
    [HostListQuerySchema, 'host'],
    [BridgeListQuerySchema, 'label'],
    [BridgeListQuerySchema, 'mac'],
    [LeaseListQuerySchema, 'runtime'],
    [LeaseListQuerySchema, 'label'],
  ])('%#: %s', (sut, param) => {
    expect(issuePaths(sut.safeParse({ [param]: 'x' }))).toEqual([param]);
  });
});

describe('IP address', () => {
  it('accepts IPv4 and IPv6 (in RFC 5952 form) and rejects the rest', () => {
    const sut = IpAddressSchema;
    expect(sut.parse('10.0.3.55')).toBe('10.0.3.55');
    expect(sut.parse('FD00:C0::5')).toBe('fd00:c0::5');
    expect(sut.parse('::ffff:10.0.3.5')).toBe('::ffff:10.0.3.5');
    expect(sut.parse('fd00:00c0:0000:0000:0000:0000:0000:0005')).toBe('fd00:c0::5');
    expect(sut.parse('FD00:0:0:1:0:0:0:5')).toBe('fd00:0:0:1::5');
    expect(sut.parse('fd00:c0:0:1::5')).toBe('fd00:c0:0:1::5');
    for (const bad of ['10.0.3', '10.0.3.1/24', 'localhost', '1.2.3.4.5', 'fd00:::1', '']) {
      expect(sut.safeParse(bad).success, bad).toBe(false);
    }
  });
});
