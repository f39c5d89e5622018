import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'postgres-up.sh');

// Stand-ins for every program postgres-up.sh changes the machine with: they act on files under
// $STUB_STATE and log their calls, so the install branch runs here without touching this machine's
// Postgres or packages.
const STUBS: Record<string, string> = {
  pg_isready: '[ -e "$STUB_STATE/answering" ] && exit 0; exit 2',
  'dpkg-query':
    'for a; do last=$a; done; [ "$last" = postgresql ] && [ -e "$STUB_STATE/installed" ] && printf installed; exit 0',
  pg_lsclusters: 'cat "$STUB_STATE/clusters" 2>/dev/null; exit 0',
  'apt-get': `echo "apt-get $*" >>"$STUB_STATE/calls"
case "$*" in *install*postgresql*)
  touch "$STUB_STATE/installed"; mkdir -p "$PG_LIB_ROOT/15" "$PG_CONF_ROOT/15/main"
  echo '15 main 5432 down postgres /var/lib/postgresql/15/main /var/log/postgresql/postgresql-15-main.log' >"$STUB_STATE/clusters"
  printf 'local all postgres peer\\nhost all all 127.0.0.1/32 scram-sha-256\\n' >"$PG_CONF_ROOT/15/main/pg_hba.conf"
  if [ -n "\${STUB_STARTS_ON_INSTALL:-}" ]; then sed -i 's/ down / online /' "$STUB_STATE/clusters"; touch "$STUB_STATE/answering"; fi;;
esac`,
  pg_createcluster: `echo "pg_createcluster $*" >>"$STUB_STATE/calls"
mkdir -p "$PG_CONF_ROOT/$1/$2"; printf 'host all all 127.0.0.1/32 scram-sha-256\\n' >"$PG_CONF_ROOT/$1/$2/pg_hba.conf"
echo "$1 $2 5432 down postgres /x /y" >>"$STUB_STATE/clusters"`,
  pg_ctlcluster: `echo "pg_ctlcluster $*" >>"$STUB_STATE/calls"
[ "$3" = start ] && sed -i "s/^$1 $2 5432 down/$1 $2 5432 online/" "$STUB_STATE/clusters" && touch "$STUB_STATE/answering"
exit 0`,
  psql: '[ -e "$STUB_STATE/password" ] && exit 2; exit 0',
};

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  calls: string[];
}

describe('scripts/postgres-up.sh', () => {
  let dir = '';
  let state = '';
  let env: NodeJS.ProcessEnv = {};

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'corral-postgres-up-'));
    state = path.join(dir, 'state');
    const bin = path.join(dir, 'bin');
    mkdirSync(state);
    mkdirSync(bin);
    for (const [name, body] of Object.entries(STUBS)) {
      writeFileSync(path.join(bin, name), `#!/bin/bash\n${body}\n`);
      chmodSync(path.join(bin, name), 0o755);
    }
    env = {
      ...process.env,
      PATH: `${bin}:${process.env.PATH}`,
      STUB_STATE: state,
      PG_CONF_ROOT: path.join(dir, 'etc'),
      PG_LIB_ROOT: path.join(dir, 'lib'),
      PG_APT_LOG: path.join(dir, 'apt.log'),
    };
    // Never the real programs: each name must resolve to its stand-in.
    for (const name of Object.keys(STUBS)) {
      const found = spawnSync('bash', ['-c', `command -v ${name}`], { env, encoding: 'utf8' }).stdout.trim();
      expect(found).toBe(path.join(bin, name));
    }
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  const bash = (code: string, extra: NodeJS.ProcessEnv = {}): Run => {
    const r = spawnSync('bash', ['-c', `source "${script}"; ${code}`], {
      env: { ...env, ...extra },
      encoding: 'utf8',
      timeout: 20_000,
    });
    const callsFile = path.join(state, 'calls');
    const calls = existsSync(callsFile) ? readFileSync(callsFile, 'utf8').trim().split('\n') : [];
    return { status: r.status, stdout: r.stdout, stderr: r.stderr, calls };
  };
  const hba = (version: string, cluster: string) =>
    readFileSync(path.join(dir, 'etc', version, cluster, 'pg_hba.conf'), 'utf8');

  describe('pg_plan', () => {
    const plan = (answering: string, installed: string, clusters: string) =>
      bash(`pg_plan ${answering} ${installed} "${clusters}"`).stdout.trim();

    it('leaves a Postgres that answers alone, whatever else is true', () => {
      expect(plan('yes', 'no', '')).toBe('ready');
      expect(plan('yes', 'yes', '15 main 5432 down postgres /d /l')).toBe('ready');
    });

    it('installs when nothing answers and the package is missing', () => {
      expect(plan('no', 'no', '')).toBe('install');
    });

    it('starts the cluster on the port when it is down', () => {
      expect(plan('no', 'yes', '13 old 5433 online postgres /d /l\n15 main 5432 down postgres /d /l')).toBe(
        'start 15 main',
      );
    });

    it('makes a cluster when none is on the port', () => {
      expect(plan('no', 'yes', '15 main 5433 down postgres /d /l')).toBe('create');
      expect(plan('no', 'yes', '')).toBe('create');
    });

    it('refuses a cluster that is online on the port but does not answer on 127.0.0.1', () => {
      expect(plan('no', 'yes', '15 main 5432 online postgres /d /l')).toBe('broken 15 main');
    });
  });

  it('does nothing when 127.0.0.1:5432 answers', () => {
    writeFileSync(path.join(state, 'answering'), '');
    const r = bash('postgres_up');
    expect(r.status).toBe(0);
    expect(r.calls).toEqual([]);
    expect(r.stdout).toContain('postgres on 127.0.0.1:5432');
  });

  it('installs Debian postgresql, lets postgres in over loopback and starts the cluster', () => {
    const r = bash('postgres_up');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.calls).toEqual([
      'apt-get update -q',
      'apt-get install -y -q --no-install-recommends postgresql',
      'pg_ctlcluster 15 main start',
    ]);
    const lines = hba('15', 'main').split('\n');
    // Before Debian's password rule, so that it wins.
    expect(lines.slice(1, 4)).toEqual([
      'host all postgres 127.0.0.1/32 trust',
      'host all postgres ::1/128 trust',
      'local all postgres peer',
    ]);
    expect(r.stdout).toContain('postgres on 127.0.0.1:5432');
  });

  it('reloads a cluster the package started already, once postgres may come in over loopback', () => {
    const r = bash('postgres_up', { STUB_STARTS_ON_INSTALL: '1' });
    expect(r.status).toBe(0);
    expect(r.calls.slice(2)).toEqual(['pg_ctlcluster 15 main reload']);
    expect(hba('15', 'main')).toContain('host all postgres ::1/128 trust');
  });

  it('after engines-up.sh installed the package with its others, only trusts loopback and starts', () => {
    writeFileSync(path.join(state, 'installed'), '');
    mkdirSync(path.join(dir, 'etc', '15', 'main'), { recursive: true });
    writeFileSync(path.join(dir, 'etc', '15', 'main', 'pg_hba.conf'), 'host all all 127.0.0.1/32 scram-sha-256\n');
    writeFileSync(path.join(state, 'clusters'), '15 main 5432 down postgres /d /l\n');
    const r = bash('postgres_up', { PG_JUST_INSTALLED: 'yes' });
    expect(r.status).toBe(0);
    expect(r.calls).toEqual(['pg_ctlcluster 15 main start']);
    expect(hba('15', 'main')).toContain('host all postgres 127.0.0.1/32 trust');
  });

  it("starts this machine's cluster that is down and leaves its pg_hba.conf as it is", () => {
    writeFileSync(path.join(state, 'installed'), '');
    mkdirSync(path.join(dir, 'etc', '15', 'main'), { recursive: true });
    writeFileSync(path.join(dir, 'etc', '15', 'main', 'pg_hba.conf'), 'host all all 127.0.0.1/32 trust\n');
    writeFileSync(path.join(state, 'clusters'), '15 main 5432 down postgres /d /l\n');
    const r = bash('postgres_up');
    expect(r.status).toBe(0);
    expect(r.calls).toEqual(['pg_ctlcluster 15 main start']);
    expect(hba('15', 'main')).toBe('host all all 127.0.0.1/32 trust\n');
  });

  it('makes a cluster of the newest installed version when none is on the port', () => {
    writeFileSync(path.join(state, 'installed'), '');
    mkdirSync(path.join(dir, 'lib', '13'), { recursive: true });
    mkdirSync(path.join(dir, 'lib', '15'), { recursive: true });
    writeFileSync(path.join(state, 'clusters'), '13 main 5433 online postgres /d /l\n');
    const r = bash('postgres_up');
    expect(r.status).toBe(0);
    expect(r.calls).toEqual(['pg_createcluster 15 corral --port 5432', 'pg_ctlcluster 15 corral start']);
    expect(hba('15', 'corral')).toContain('host all postgres 127.0.0.1/32 trust');
  });

  it('says what to change when a started cluster asks postgres for a password', () => {
    writeFileSync(path.join(state, 'installed'), '');
    writeFileSync(path.join(state, 'password'), '');
    writeFileSync(path.join(state, 'clusters'), '15 main 5432 down postgres /d /l\n');
    const r = bash('postgres_up');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("cannot log in without a password: add 'host all postgres 127.0.0.1/32 trust'");
  });

  it('refuses to touch a cluster that is online but not on 127.0.0.1', () => {
    writeFileSync(path.join(state, 'installed'), '');
    writeFileSync(path.join(state, 'clusters'), '15 main 5432 online postgres /d /l\n');
    const r = bash('postgres_up');
    expect(r.status).toBe(1);
    expect(r.calls).toEqual([]);
    expect(r.stderr).toContain('check listen_addresses');
  });
});
