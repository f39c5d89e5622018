import { describe, expect, it } from 'vitest';
import { silentLogger } from '../lib/logger.js';
import type { ControllerFetch } from './controller-tls.js';
import { normalizeFingerprint } from './controller-tls.js';
import { EnrollmentRefused, enroll, enrollUrl } from './enrollment.js';

const reply = (status: number, body: unknown) => new Response(JSON.stringify(body), { status });

describe('enrollment', () => {
  it('finds the enroll route next to the agent socket', () => {
    expect(enrollUrl('ws://10.0.0.1:7070/agent')).toBe('http://10.0.0.1:7070/api/v1/enroll');
    expect(enrollUrl('wss://corral.example/agent?x=1')).toBe('https://corral.example/api/v1/enroll');
  });

  it('retries while the controller is down or failing, then takes the credential', async () => {
    const answers: (() => Promise<Response>)[] = [
      () => Promise.reject(new Error('ECONNREFUSED')),
      () => Promise.resolve(reply(503, { message: 'not ready' })),
      () => Promise.resolve(reply(200, { hostId: 'h1', credential: 'crl_agt_x' })),
    ];
    const bodies: string[] = [];
    const fetch: ControllerFetch = (_url, init) => {
      bodies.push(init?.body ?? '');
      return answers.shift()!();
    };
    const sut = await enroll({
      controllerUrls: ['ws://c/agent'],
      token: 'crl_enr_t',
      agentId: 'agent-0001',
      hostname: 'h',
      fetch,
      logger: silentLogger,
      backoff: { baseMs: 1, maxMs: 2 },
    });
    expect(sut).toEqual({ hostId: 'h1', credential: 'crl_agt_x' });
    expect(JSON.parse(bodies[0]!)).toEqual({ token: 'crl_enr_t', agentId: 'agent-0001', hostname: 'h' });
  });

  it('tries the next replica when one is down', async () => {
    const urls: string[] = [];
    const fetch: ControllerFetch = (url) => {
      urls.push(url);
      return url.startsWith('http://a/')
        ? Promise.reject(new Error('ECONNREFUSED'))
        : Promise.resolve(reply(200, { hostId: 'h1', credential: 'crl_agt_x' }));
    };
    const sut = await enroll({
      controllerUrls: ['ws://b/agent', 'ws://a/agent'],
      startIndex: 1,
      token: 't',
      agentId: 'a',
      hostname: 'h',
      fetch,
      logger: silentLogger,
      backoff: { baseMs: 60_000, maxMs: 60_000 },
    });
    expect(sut.hostId).toBe('h1');
    expect(urls).toEqual(['http://a/api/v1/enroll', 'http://b/api/v1/enroll']);
  });

  it('gives up at once when the controller refuses, with its reason', async () => {
    const fetch: ControllerFetch = () =>
      Promise.resolve(reply(403, { message: 'token was already used 1 of 1 times' }));
    const attempt = enroll({
      controllerUrls: ['ws://c/agent'],
      token: 't',
      agentId: 'a',
      hostname: 'h',
      fetch,
      logger: silentLogger,
    });
    await expect(attempt).rejects.toBeInstanceOf(EnrollmentRefused);
    await expect(attempt).rejects.toThrow('already used');
  });

  it('normalizes a SHA-256 fingerprint with or without colons', () => {
    const hex = 'ab'.repeat(32);
    expect(normalizeFingerprint(hex)).toBe(hex.toUpperCase());
    expect(normalizeFingerprint(hex.match(/../g)!.join(':'))).toBe(hex.toUpperCase());
    expect(normalizeFingerprint('abc')).toBeNull();
  });
});
