import type { HostDoctor } from '@corral/client';
import type { Command } from 'commander';
import { Cli, examples } from '../lib/cli.js';
import type { Column } from '../lib/output.js';

type Finding = HostDoctor['findings'][number];
interface AgentFinding {
  id: string;
  severity: string;
  message: string;
  fix: { command: string; safe: boolean } | null;
}

const FIX = (fix: { command: string; safe: boolean } | null) =>
  fix ? `${fix.safe ? '[safe] ' : ''}${fix.command}` : '-';

const FLEET_COLUMNS: Column<Finding>[] = [
  { header: 'HOST', value: (f) => f.hostname },
  {
    header: 'SEVERITY',
    value: (f) => f.severity,
    color: (t) => (t === 'critical' ? 'red' : t === 'warning' ? 'yellow' : null),
  },
  { header: 'FINDING', value: (f) => f.findingId },
  { header: 'MESSAGE', value: (f) => f.message },
];

const HOST_COLUMNS: Column<AgentFinding>[] = [
  {
    header: 'SEVERITY',
    value: (f) => f.severity,
    color: (t) => (t === 'critical' ? 'red' : t === 'warning' ? 'yellow' : null),
  },
  { header: 'FINDING', value: (f) => f.id },
  { header: 'MESSAGE', value: (f) => f.message },
  { header: 'FIX', value: (f) => FIX(f.fix) },
];

export function registerDoctor(program: Command): void {
  const doctor = program
    .command('doctor')
    .description("the host doctor: the fleet's findings, or run the checks on one host now")
    .argument('[host]', 'hostname or id: run its checks now (without: every host, as last reported)')
    .option('--severity <severity>', 'fleet view: only critical, warning or info')
    .addHelpText('after', examples('corral doctor', 'corral doctor web-1', 'corral doctor fix web-1 ip-forward-off'))
    .action(async (host: string | undefined, opts: { severity?: string }, cmd: Command) => {
      const cli = Cli.of(cmd);
      if (!host) {
        const fleet = await (await cli.client()).fleetDoctor(opts.severity ? { severity: opts.severity } : {});
        if (cli.out.json) return cli.out.data(fleet);
        cli.out.list(
          fleet.hosts.flatMap((h) => h.findings),
          FLEET_COLUMNS,
          (f) => `${f.hostname} ${f.findingId}`,
        );
        const t = fleet.totals;
        cli.out.note(`${t.critical} critical, ${t.warning} warning, ${t.info} info on ${fleet.hosts.length} host(s)`);
        return;
      }
      const done = await cli.op('host.doctor', host, {}, { label: `doctor ${host}` });
      if (!done) return;
      const findings = (done.result as { findings: AgentFinding[] }).findings;
      if (cli.out.json) return cli.out.data(findings);
      if (findings.length === 0) return cli.out.note(`${host}: no findings`);
      cli.out.list(findings, HOST_COLUMNS, (f) => f.id);
    });

  doctor
    .command('fix')
    .description('repair one finding with its safe fix (forwarding, dnsmasq, masquerade)')
    .argument('<host>', 'hostname or id')
    .argument('<finding>', 'finding id, as corral doctor HOST lists it')
    .addHelpText('after', examples('corral doctor fix web-1 ip-forward-off'))
    .action(async (host: string, finding: string, _opts: unknown, cmd: Command) => {
      const cli = Cli.of(cmd);
      const done = await cli.op('host.doctor.fix', host, { finding }, { label: `fix ${finding} on ${host}` });
      if (!done) return;
      const result = done.result as { command: string; cleared: boolean };
      if (cli.out.json) return cli.out.data(done.result);
      cli.out.line(`${host}: ran ${result.command}`);
      cli.out.note(result.cleared ? `${finding} cleared` : `${finding} is still found; see corral doctor ${host}`);
    });
}
