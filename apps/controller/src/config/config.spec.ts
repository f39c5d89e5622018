import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('applies defaults that make a first run work', () => {
    const sut = loadConfig({});
    expect(sut.port).toBe(7070);
    expect(sut.databaseUrl).toBeNull();
    expect(sut.offlineGraceMs).toBeLessThanOrEqual(30_000);
    expect(sut.dataDir.endsWith('.corral/data')).toBe(true);
  });

  it('reports every problem at once', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'abc', DATABASE_URL: 'mysql://x', CORRAL_OFFLINE_GRACE_MS: '-5' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toContain('PORT must be an integer');
    expect(problems).toContain('DATABASE_URL must start with postgres');
    expect(problems).toContain('CORRAL_OFFLINE_GRACE_MS must be an integer');
  });

  it('keeps an hour or a million events in the event log unless told otherwise, and refuses nonsense', () => {
    expect(loadConfig({})).toMatchObject({ eventRetentionS: 3600, eventRetentionEvents: 1_000_000 });
    expect(loadConfig({ CORRAL_EVENT_RETENTION_S: '60', CORRAL_EVENT_RETENTION_EVENTS: '5000' })).toMatchObject({
      eventRetentionS: 60,
      eventRetentionEvents: 5000,
    });
    expect(() => loadConfig({ CORRAL_EVENT_RETENTION_S: '0', CORRAL_EVENT_RETENTION_EVENTS: '1.5' })).toThrow(
      /CORRAL_EVENT_RETENTION_S must be an integer >= 1, got "0"[\s\S]*CORRAL_EVENT_RETENTION_EVENTS must be an integer >= 1, got "1.5"/,
    );
  });

  it('rejects a port out of range', () => {
    expect(() => loadConfig({ PORT: '70000' })).toThrow(/PORT must be at most 65535/);
  });
});
