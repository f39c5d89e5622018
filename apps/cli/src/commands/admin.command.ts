import type { Command as ApiCommand } from '@corral/client';
import type { Command } from 'commander';
import { Cli, examples } from '../lib/cli.js';
import { CliError, EXIT, usage } from '../lib/errors.js';
import { ago, type Column, parseDuration, stateColor, text } from '../lib/output.js';

const enc = encodeURIComponent;

const COMMAND_COLUMNS: Column<ApiCommand>[] = [
  { header: 'ID', value: (c) => c.id },
  { header: 'OP', value: (c) => c.op },
  { header: 'STATUS', value: (c) => c.status, color: (t) => stateColor(t) },
  { header: 'TARGET', value: (c) => `${c.targetKind}${c.targetId ? ` ${c.targetId.slice(0, 8)}` : ''}` },
  { header: 'BY', value: (c) => c.requestedBy?.replace(/ \(.*\)$/, '') },
  { header: 'CREATED', value: (c) => ago(c.createdAt) },
];

function seconds(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const s = parseDuration(value);
  if (s === null || s <= 0) throw usage(`${flag} "${value}" is not a duration (90s, 30m, 24h, 7d)`);
  return s;
}

export function registerAdmin(program: Command): void {
  const commands = program
    .command('commands')
    .description('commands Corral sent to agents: ls, show, wait, cancel')
    .addHelpText(
      'after',
      examples('corral commands ls --status running', 'corral commands wait ID', 'corral commands cancel ID'),
    );
  commands
    .command('ls')
    .alias('list')
    .description('list commands, newest first')
    .option('--host <host>')
    .option('--status <status>', 'pending, sent, running, succeeded, failed, timed_out, canceled (comma list)')
    .option('--op <op>', 'e.g. container.start')
    .option('--limit <n>', 'at most this many', '50')
    .addHelpText('after', examples('corral commands ls', 'corral commands ls --host h1 --status failed -q'))
    .action(async (opts: { host?: string; status?: string; op?: string; limit: string }, cmd: Command) => {
      const cli = Cli.of(cmd);
      const page = await (await cli.client()).page<ApiCommand>('/commands', {
        host: opts.host,
        status: opts.status,
        op: opts.op,
        limit: opts.limit,
      });
      cli.out.list(page.items, COMMAND_COLUMNS, (c) => c.id);
    });
  commands
    .command('show')
    .description('one command with its params, result, error and output')
    .argument('<id>')
    .addHelpText('after', examples('corral commands show 6b0c...'))
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const cli = Cli.of(cmd);
      const c = await (await cli.client()).command(id);
      cli.out.object(c as unknown as Record<string, unknown>, c.id, [
        ['id', c.id],
        ['op', c.op],
        ['status', cli.out.paint(c.status, stateColor(c.status))],
        ['target', `${c.targetKind} ${c.targetId ?? ''}`],
        ['requested by', c.requestedBy],
        ['created', c.createdAt],
        ['finished', c.finishedAt],
        ['params', JSON.stringify(c.params)],
        ['result', c.result ? JSON.stringify(c.result) : null],
        ['error', c.error ? JSON.stringify(c.error) : null],
        ['output', c.output],
      ]);
    });
  commands
    .command('wait')
    .description('wait for commands to end (exit 1 if one did not succeed)')
    .argument('<ids...>')
    .option('--timeout <duration>', 'give up after this long (exit 1)')
    .addHelpText('after', examples('corral commands wait ID', 'ID=$(corral stop -d web) && corral commands wait $ID'))
    .action(async (ids: string[], opts: { timeout?: string }, cmd: Command) => {
      const cli = Cli.of(cmd);
      const client = await cli.client();
      const limit = seconds(opts.timeout, '--timeout');
      for (const id of ids) {
        const c = await client.waitForCommand(id, limit ? limit * 1000 : undefined);
        if (cli.out.json) cli.out.data(c);
        else cli.out.line(`${c.id} ${cli.out.paint(c.status, stateColor(c.status))}`);
        if (c.status !== 'succeeded') {
          const final = ['failed', 'timed_out', 'canceled'].includes(c.status);
          throw new CliError(
            final
              ? `command ${id} ${c.status}${(c.error as { message?: string } | null)?.message ? `: ${(c.error as { message: string }).message}` : ''}`
              : `command ${id} is still ${c.status}`,
            EXIT.failure,
          );
        }
      }
    });
  commands
    .command('cancel')
    .description('cancel commands (pending ones at once; running ones when the agent stops them)')
    .argument('<ids...>')
    .addHelpText('after', examples('corral commands cancel ID'))
    .action(async (ids: string[], _opts: unknown, cmd: Command) => {
      const cli = Cli.of(cmd);
      const client = await cli.client();
      for (const id of ids) {
        const c = await client.call<ApiCommand>('POST', `/api/v1/commands/${enc(id)}/cancel`, {});
        if (cli.out.json) cli.out.data(c);
        else
          cli.out.line(
            `${c.id} ${c.status}${c.cancelRequestedAt && c.status !== 'canceled' ? ' (cancel requested)' : ''}`,
          );
      }
    });

  const tokens = program
    .command('tokens')
    .description('API tokens (admin): ls, create, revoke')
    .addHelpText(
      'after',
      examples(
        'corral tokens create grafana --role viewer --expires 30d',
        'corral tokens ls',
        'corral tokens revoke ID',
      ),
    );
  tokens
    .command('ls')
    .alias('list')
    .description('list tokens (never their secrets)')
    .addHelpText('after', examples('corral tokens ls'))
    .action(async (_opts: unknown, cmd: Command) => {
      const cli = Cli.of(cmd);
      const list = await (await cli.client()).get<{ items: Record<string, string | null>[] }>('/tokens');
      cli.out.list(
        list.items,
        [
          { header: 'NAME', value: (t) => t.name },
          { header: 'ROLE', value: (t) => t.role },
          { header: 'PREFIX', value: (t) => t.prefix },
          { header: 'EXPIRES', value: (t) => t.expiresAt },
          {
            header: 'STATE',
            value: (t) =>
              t.revokedAt ? 'revoked' : t.expiresAt && Date.parse(t.expiresAt) < Date.now() ? 'expired' : 'active',
            color: (s) => (s === 'active' ? 'green' : 'red'),
          },
          { header: 'LAST USED', value: (t) => ago(t.lastUsedAt) },
          { header: 'ID', value: (t) => t.id },
        ],
        (t) => t.id as string,
      );
    });
  tokens
    .command('create')
    .description('make a token; its secret is printed once')
    .argument('<name>')
    .option('--role <role>', 'viewer, operator or admin', 'viewer')
    .option('--expires <duration>', 'lifetime (90s, 12h, 30d); none: never')
    .addHelpText(
      'after',
      examples('corral tokens create ci --role operator --expires 7d', 'T=$(corral tokens create bot -q)'),
    )
    .action(async (name: string, opts: { role: string; expires?: string }, cmd: Command) => {
      const cli = Cli.of(cmd);
      if (!['viewer', 'operator', 'admin'].includes(opts.role)) throw usage('--role must be viewer, operator or admin');
      const expiresInSeconds = seconds(opts.expires, '--expires');
      const made = await (await cli.client()).call<{ id: string; secret: string }>('POST', '/api/v1/tokens', {
        name,
        role: opts.role,
        ...(expiresInSeconds ? { expiresInSeconds } : {}),
      });
      if (cli.out.json) cli.out.data(made);
      else if (cli.out.quiet) cli.out.line(made.secret);
      else {
        cli.out.line(made.secret);
        cli.out.note(`token ${name} (${opts.role}) made; the secret above is shown this once`);
      }
    });
  tokens
    .command('revoke')
    .alias('rm')
    .description('revoke tokens; their open streams close at once')
    .argument('<ids...>')
    .addHelpText('after', examples('corral tokens revoke ID'))
    .action(async (ids: string[], _opts: unknown, cmd: Command) => {
      const cli = Cli.of(cmd);
      const client = await cli.client();
      for (const id of ids) {
        const t = await client.call<{ id: string }>('DELETE', `/api/v1/tokens/${enc(id)}`);
        cli.out.json ? cli.out.data(t) : cli.out.line(t.id);
      }
    });

  const enroll = program
    .command('enroll-token')
    .description('enrollment tokens for new agents (admin): create (the default), ls, revoke')
    .addHelpText(
      'after',
      examples(
        'corral enroll-token --uses 10 --expires 1h',
        'CORRAL_ENROLLMENT_TOKEN=$(corral enroll-token -q) npm run agent',
      ),
    );
  enroll
    .command('create', { isDefault: true })
    .description('make an enrollment token; printed once')
    .option('--uses <n>', 'how many agents may use it', '1')
    .option('--expires <duration>', 'lifetime (default 1h)')
    .option('--name <name>')
    .option('--allow-takeover', 'an agent may take over a host of the same name')
    .addHelpText('after', examples('corral enroll-token --uses 5 --name rack-3'))
    .action(async (opts: { uses: string; expires?: string; name?: string; allowTakeover?: boolean }, cmd: Command) => {
      const cli = Cli.of(cmd);
      const maxUses = Number(opts.uses);
      if (!Number.isInteger(maxUses) || maxUses < 1) throw usage('--uses must be a positive whole number');
      const expiresInSeconds = seconds(opts.expires, '--expires');
      const made = await (await cli.client()).call<{ id: string; secret: string }>(
        'POST',
        '/api/v1/enrollment-tokens',
        {
          maxUses,
          ...(expiresInSeconds ? { expiresInSeconds } : {}),
          ...(opts.name ? { name: opts.name } : {}),
          ...(opts.allowTakeover ? { allowTakeover: true } : {}),
        },
      );
      if (cli.out.json) cli.out.data(made);
      else cli.out.line(made.secret);
    });
  enroll
    .command('ls')
    .alias('list')
    .description('list enrollment tokens')
    .addHelpText('after', examples('corral enroll-token ls'))
    .action(async (_opts: unknown, cmd: Command) => {
      const cli = Cli.of(cmd);
      const list = await (await cli.client()).get<{ items: Record<string, unknown>[] }>('/enrollment-tokens');
      cli.out.list(
        list.items,
        [
          { header: 'NAME', value: (t) => t.name as string },
          { header: 'PREFIX', value: (t) => t.prefix as string },
          { header: 'USES', value: (t) => `${t.uses}/${t.maxUses}` },
          { header: 'EXPIRES', value: (t) => t.expiresAt as string },
          { header: 'REVOKED', value: (t) => (t.revokedAt ? 'yes' : 'no') },
          { header: 'ID', value: (t) => t.id as string },
        ],
        (t) => t.id as string,
      );
    });
  enroll
    .command('revoke')
    .description('revoke enrollment tokens')
    .argument('<ids...>')
    .addHelpText('after', examples('corral enroll-token revoke ID'))
    .action(async (ids: string[], _opts: unknown, cmd: Command) => {
      const cli = Cli.of(cmd);
      const client = await cli.client();
      for (const id of ids) {
        await client.call('DELETE', `/api/v1/enrollment-tokens/${enc(id)}`);
        cli.out.line(id);
      }
    });

  program
    .command('audit')
    .description('the audit log (admin), newest first')
    .option('--actor <actor>', 'e.g. token:ci')
    .option('--action <action>', 'e.g. "POST /api/v1/containers/:id/start"')
    .option('--target <id>', 'target id')
    .option('--since <when>', 'a duration (1h) or a time')
    .option('--limit <n>', 'at most this many', '50')
    .addHelpText('after', examples('corral audit --since 1h', 'corral audit --actor token:ci --json'))
    .action(
      async (
        opts: { actor?: string; action?: string; target?: string; since?: string; limit: string },
        cmd: Command,
      ) => {
        const cli = Cli.of(cmd);
        const since =
          opts.since === undefined
            ? undefined
            : parseDuration(opts.since) !== null
              ? new Date(Date.now() - parseDuration(opts.since)! * 1000).toISOString()
              : new Date(opts.since).toISOString();
        const page = await (await cli.client()).page<Record<string, unknown>>('/audit', {
          actor: opts.actor,
          action: opts.action,
          targetId: opts.target,
          since,
          limit: opts.limit,
        });
        cli.out.list(
          page.items,
          [
            { header: 'AT', value: (e) => e.at as string },
            { header: 'ACTOR', value: (e) => e.actor as string },
            { header: 'ACTION', value: (e) => e.action as string },
            {
              header: 'TARGET',
              value: (e) => (e.targetId ? `${e.targetKind} ${e.targetId}` : (e.targetKind as string)),
            },
            {
              header: 'OUTCOME',
              value: (e) => e.outcome as string,
              color: (t) =>
                t === 'ok' || t === 'succeeded' ? 'green' : t === 'denied' || t === 'failed' ? 'red' : null,
            },
          ],
          (e) => e.id as string,
        );
      },
    );

  program
    .command('events')
    .description("the fleet's events as they happen")
    .option('-f, --follow', 'keep printing until Ctrl-C (exit 130)')
    .option('--for <duration>', 'without -f: stop after this long', '10s')
    .option('--since <event-id>', 'first what the controller kept after this event id')
    .option('--host <host>', 'one host (id)')
    .option('--type <types>', 'comma list, e.g. container-started,container-stopped')
    .option('--kind <kinds>', 'comma list: container, image, volume, network, bridge, lease, host, command')
    .addHelpText(
      'after',
      examples(
        'corral events -f',
        'corral events -f --type container-started --json',
        'corral events --for 30s --kind host',
      ),
    )
    .action(
      async (
        opts: { follow?: boolean; for: string; since?: string; host?: string; type?: string; kind?: string },
        cmd: Command,
      ) => {
        const cli = Cli.of(cmd);
        const client = await cli.client();
        const abort = new AbortController();
        const window = seconds(opts.for, '--for')!;
        if (!opts.follow) setTimeout(() => abort.abort(), window * 1000).unref();
        process.once('SIGINT', () => {
          abort.abort();
          process.exit(EXIT.interrupted);
        });
        try {
          for await (const e of client.events(
            {
              ...(opts.host ? { host: opts.host } : {}),
              ...(opts.type ? { type: opts.type.split(',') } : {}),
              ...(opts.kind ? { kind: opts.kind.split(',') } : {}),
              ...(opts.since ? { lastEventId: opts.since } : {}),
            },
            abort.signal,
          )) {
            if (cli.out.json) cli.out.line(JSON.stringify(e.data));
            else if (cli.out.quiet) cli.out.line(e.id ?? '');
            else {
              const d = e.data as { at?: string; hostId?: string; data?: Record<string, unknown> };
              cli.out.line(
                `${d.at ?? ''} ${cli.out.paint(e.type, stateColor(e.type.replace(/^\w+-/, '')))} ${text(d.data?.name ?? d.data?.id)} host=${d.hostId ?? '-'}`,
              );
            }
          }
        } catch (error) {
          if (!abort.signal.aborted) throw error;
        }
      },
    );
}
