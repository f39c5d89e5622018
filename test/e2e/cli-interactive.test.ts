import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_ENTRY } from '../support/cli.js';
import { Corral } from '../support/corral.js';
import { sh, TEST_IMAGE } from '../support/engines.js';
import { waitFor } from '../support/wait.js';

// `corral exec -it` in a real terminal (tmux), for a Docker and an LXC container: what a person
// types goes to the shell in the container and what it prints comes back, the terminal's size
// follows the pane, Ctrl-C reaches the process, the exit code is corral's, and closing the
// terminal kills what ran in the container.
describe('corral exec -it under tmux', () => {
  const corral = new Corral();
  const t = corral.tag;
  const socket = `corral-e2e-${t}`;
  const docker = `cli-tty-${t}`;
  const lxc = `cli-ttylxc-${t}`;
  let dir = '';

  const tmux = (...args: string[]) => sh('tmux', ['-L', socket, ...args]);
  const pane = (s: string) => tmux('capture-pane', '-p', '-J', '-t', s);
  const size = async (s: string) => (await tmux('display', '-p', '-t', s, '#{pane_height} #{pane_width}')).trim();
  const type = (s: string, text: string) =>
    tmux('send-keys', '-t', s, '-l', text).then(() => tmux('send-keys', '-t', s, 'Enter'));
  // Runs corral in a new tmux session; its exit code lands in a file.
  const session = async (s: string, args: string[]) => {
    const env = `CORRAL_URL=${corral.base} CORRAL_TOKEN=${corral.adminToken} NO_COLOR=1`;
    const command = `env ${env} ${process.execPath} ${CLI_ENTRY} ${args.join(' ')}; echo $? > ${dir}/${s}.exit; sleep 60`;
    await tmux('new-session', '-d', '-s', s, '-x', '120', '-y', '40', 'sh', '-c', command);
    await tmux('set-option', '-t', s, 'status', 'off');
  };
  // The shell in the container answers (only it can print ready-5: what is typed reads $((2+3))).
  // Asked again every 2 s: what is typed before the shell runs may be dropped, as in any terminal.
  const prompt = async (s: string) => {
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      await type(s, 'echo ready-$((2+3))');
      const answered = await waitFor(`${s} shell`, async () => (await pane(s)).includes('ready-5'), 2_000, 100).then(
        () => true,
        () => false,
      );
      if (answered) return;
    }
    throw new Error(`the shell in ${s} never answered; the pane shows:\n${await pane(s).catch(() => '(gone)')}`);
  };
  const exitOf = (s: string) =>
    waitFor(
      `${s} exit code`,
      async () => (await readFile(`${dir}/${s}.exit`, 'utf8').catch(() => '')).trim() || undefined,
      15_000,
      100,
    );
  const psIn = (runtime: 'docker' | 'lxc') =>
    runtime === 'docker'
      ? sh('docker', ['exec', docker, 'ps'])
      : sh('lxc-attach', ['-P', corral.lxcPath, '-n', lxc, '--clear-env', '--', 'ps']);

  beforeAll(async () => {
    await corral.start();
    dir = await mkdtemp(path.join(os.tmpdir(), 'corral-tty-'));
    await corral.command('POST', `/api/v1/hosts/${corral.hostId}/containers`, {
      runtime: 'docker',
      image: TEST_IMAGE,
      name: docker,
      command: ['sleep', '3600'],
      labels: { 'corral.test': '1' },
    });
    await corral.command('POST', `/api/v1/hosts/${corral.hostId}/containers`, {
      runtime: 'lxc',
      name: lxc,
      template: 'busybox',
    });
  });

  afterAll(async () => {
    await tmux('kill-server').catch(() => {});
    await sh('docker', ['rm', '-f', docker]).catch(() => {});
    await sh('lxc-stop', ['-P', corral.lxcPath, '-n', lxc, '-k']).catch(() => {});
    await sh('lxc-destroy', ['-P', corral.lxcPath, '-n', lxc, '-f']).catch(() => {});
    await corral.stop();
    await rm(dir, { recursive: true, force: true });
  });

  for (const runtime of ['docker', 'lxc'] as const) {
    const target = () => (runtime === 'docker' ? docker : lxc);

    it(`${runtime}: typing, terminal size and resize, Ctrl-C, exit 3`, async () => {
      const s = `${runtime}-a`;
      await session(s, ['exec', '-it', target(), 'sh']);
      await prompt(s);
      await type(s, 'echo $((6*7))');
      await waitFor('42', async () => /^42\s*$/m.test(await pane(s)), 10_000, 100);
      await type(s, 'stty size');
      const first = await size(s);
      await waitFor(`stty size ${first}`, async () => (await pane(s)).includes(first), 5_000, 100);
      await tmux('resize-window', '-t', s, '-x', '100', '-y', '30');
      const second = await size(s);
      expect(second).toBe('30 100');
      await type(s, 'stty size');
      await waitFor(`stty size ${second}`, async () => (await pane(s)).includes(second), 5_000, 100);
      await type(s, `sh -c 'trap "echo caught-INT-$$; exit 0" INT; while :; do sleep 1; done'`);
      await new Promise((r) => setTimeout(r, 700));
      await tmux('send-keys', '-t', s, 'C-c');
      await waitFor('the trap ran', async () => /caught-INT-\d+/.test(await pane(s)), 5_000, 100);
      await type(s, 'exit 3');
      expect(await exitOf(s)).toBe('3');
    });

    it(`${runtime}: closing the terminal kills the process in the container`, async () => {
      const s = `${runtime}-b`;
      const marker = runtime === 'docker' ? '4343' : '4344';
      await session(s, ['exec', '-it', target(), 'sh']);
      await prompt(s);
      await type(s, `sleep ${marker}`);
      await waitFor('sleep running', async () => (await psIn(runtime)).includes(`sleep ${marker}`), 10_000, 100);
      await tmux('kill-session', '-t', s);
      await waitFor('sleep killed', async () => !(await psIn(runtime)).includes(`sleep ${marker}`), 10_000, 100);
    });
  }

  it('the agent dying during a session: corral names the cause and exits 125', async () => {
    const s = 'agent-gone';
    await session(s, ['exec', '-it', docker, 'sh']);
    await prompt(s);
    await corral.agent.kill('SIGKILL');
    expect(await exitOf(s)).toBe('125');
    expect(await pane(s)).toMatch(/agent on .* disconnected/);
    await corral.startAgent();
  });
});
