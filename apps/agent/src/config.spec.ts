import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadAgentConfig } from './config.js';

const FIXTURE_CA = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../test/fixtures/tls/ca.pem');

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadAgentConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('loadAgentConfig', () => {
  it('reads CORRAL_LABELS into labels, none when unset', () => {
    expect(loadAgentConfig({ CORRAL_LABELS: 'zone=eu,disk=ssd' }).labels).toEqual({ zone: 'eu', disk: 'ssd' });
    expect(loadAgentConfig({}).labels).toEqual({});
  });

  it('refuses a bad CORRAL_LABELS with every problem, together with the other bad variables', () => {
    let sut: unknown;
    try {
      loadAgentConfig({ CORRAL_LABELS: 'zone=eu,ssd,rack=a b', CORRAL_POLL_INTERVAL_MS: '5' });
    } catch (err) {
      sut = err;
    }
    expect(sut).toBeInstanceOf(ConfigError);
    const problems = (sut as ConfigError).problems;
    expect(problems).toHaveLength(3);
    expect(problems).toContain('CORRAL_LABELS (key=value,key=value): "ssd" is not key=value');
    expect(problems.some((p) => p.startsWith('CORRAL_LABELS (key=value,key=value): "rack=a b": a label value'))).toBe(
      true,
    );
    expect(problems.some((p) => p.startsWith('CORRAL_POLL_INTERVAL_MS'))).toBe(true);
  });

  it('reads CORRAL_CONTROLLER_URL as one URL or a comma list, the local controller when unset', () => {
    expect(loadAgentConfig({}).controllerUrls).toEqual(['ws://127.0.0.1:7070/agent']);
    expect(loadAgentConfig({ CORRAL_CONTROLLER_URL: 'wss://c.example/agent' }).controllerUrls).toEqual([
      'wss://c.example/agent',
    ]);
    expect(loadAgentConfig({ CORRAL_CONTROLLER_URL: 'ws://a:7070/agent, ws://b:7070/agent' }).controllerUrls).toEqual([
      'ws://a:7070/agent',
      'ws://b:7070/agent',
    ]);
  });

  it('refuses a CORRAL_CONTROLLER_URL list naming the bad entry', () => {
    expect(problemsOf({ CORRAL_CONTROLLER_URL: 'ws://a:7070/agent,https://b:7070/agent' })).toEqual([
      'CORRAL_CONTROLLER_URL entry 2 "https://b:7070/agent" must be a ws:// or wss:// URL, e.g. ws://127.0.0.1:7070/agent',
    ]);
  });

  it('reads CORRAL_OUTBOX_LIMIT, 10000 when unset, and refuses less than 1', () => {
    expect(loadAgentConfig({}).outboxLimit).toBe(10_000);
    expect(loadAgentConfig({ CORRAL_OUTBOX_LIMIT: '3' }).outboxLimit).toBe(3);
    expect(problemsOf({ CORRAL_OUTBOX_LIMIT: '0' })).toEqual(['CORRAL_OUTBOX_LIMIT must be an integer >= 1, got "0"']);
  });

  it('takes a CORRAL_CA_FILE holding a PEM certificate', () => {
    expect(loadAgentConfig({ CORRAL_CA_FILE: FIXTURE_CA }).caFile).toBe(FIXTURE_CA);
  });

  it('refuses a CORRAL_CA_FILE it cannot read or that holds no certificate, naming the file', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'corral-config-spec-'));
    const text = path.join(dir, 'text.pem');
    writeFileSync(text, 'not a certificate\n');
    const broken = path.join(dir, 'broken.pem');
    writeFileSync(broken, '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
    const missing = path.join(dir, 'missing.pem');
    expect(problemsOf({ CORRAL_CA_FILE: missing })).toEqual([`CORRAL_CA_FILE: cannot read ${missing}: ENOENT`]);
    expect(problemsOf({ CORRAL_CA_FILE: dir })).toEqual([`CORRAL_CA_FILE: cannot read ${dir}: EISDIR`]);
    expect(problemsOf({ CORRAL_CA_FILE: text })).toEqual([`CORRAL_CA_FILE: ${text} holds no PEM certificate`]);
    expect(problemsOf({ CORRAL_CA_FILE: broken })).toEqual([
      `CORRAL_CA_FILE: certificate 1 in ${broken} cannot be parsed`,
    ]);
  });

  it('reads CORRAL_AGENT_POLICY (safe default when unset) and refuses a bad one with the others', () => {
    expect(loadAgentConfig({}).policy).toMatchObject({ bindMounts: [], hostNamespaces: false, lxcTemplates: null });
    expect(loadAgentConfig({ CORRAL_AGENT_POLICY: '{"bindMounts":["/srv"]}' }).policy.bindMounts).toEqual(['/srv']);
    let sut: unknown;
    try {
      loadAgentConfig({ CORRAL_AGENT_POLICY: '{"lxcConfigKeys":["lxc.hook.start"]}', CORRAL_POLL_INTERVAL_MS: '5' });
    } catch (err) {
      sut = err;
    }
    const problems = (sut as ConfigError).problems;
    expect(problems).toHaveLength(2);
    expect(problems).toContainEqual(
      expect.stringMatching(/^CORRAL_AGENT_POLICY: lxcConfigKeys\.0: this key is never allowed/),
    );
  });
});
