import { CommandFailure, type OpHandlers } from '../executor/handler.js';
import { CommandError } from '../lib/run.js';
import { shellText } from './doctor.facts.js';
import type { DoctorProbes } from './doctor.probes.js';
import { type DoctorService, publicFinding } from './doctor.service.js';

export interface DoctorHandlerDeps {
  doctor: DoctorService;
  probes: Pick<DoctorProbes, 'run'>;
  // Re-reads every source and the host facts, then runs the doctor and publishes its findings.
  rerun: () => Promise<void>;
}

// host.doctor and host.doctor.fix: host-wide ops that need no runtime.
export function createDoctorHandlers(deps: DoctorHandlerDeps): OpHandlers {
  return {
    'host.doctor': async () => {
      await deps.rerun();
      return { findings: deps.doctor.findings().map(publicFinding) };
    },
    'host.doctor.fix': async (ctx) => {
      await deps.rerun();
      const finding = deps.doctor.findings().find((f) => f.id === ctx.params.finding);
      if (!finding) {
        throw new CommandFailure(
          'not_found',
          `the doctor does not find ${ctx.params.finding} on this host now (it may have cleared); GET the doctor's findings for their ids`,
        );
      }
      if (!finding.fix?.safe || !finding.repair) {
        const byHand = finding.fix ? `; to repair it by hand: ${finding.fix.command}` : '';
        throw new CommandFailure('unsupported', `${finding.id} has no safe repair Corral runs itself${byHand}`);
      }
      for (const step of finding.repair) {
        ctx.logger.info('doctor: repairing', { id: ctx.id, finding: finding.id, command: shellText(step) });
        try {
          await deps.probes.run(step);
        } catch (error) {
          if (error instanceof CommandError) {
            throw new CommandFailure('engine_error', `${finding.fix.command} failed: ${error.message}`, true);
          }
          throw error;
        }
      }
      await deps.rerun();
      const after = deps.doctor.findings();
      return {
        finding: finding.id,
        command: finding.fix.command,
        cleared: !after.some((f) => f.id === finding.id),
        findings: after.map(publicFinding),
      };
    },
  };
}
