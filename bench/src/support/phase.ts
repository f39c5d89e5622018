import type { ControllerProcess } from './controller-process.js';
import { machineCpu } from './proc.js';

export interface PhaseUsage {
  seconds: number;
  controllerCpuSeconds: number;
  postgresCpuSeconds: number;
  benchCpuSeconds: number;
  machineBusyCpuSeconds: number;
  // CPU seconds used on the machine by anything else (other people's tests, builds).
  otherCpuSeconds: number;
  controllerPeakRssBytes: number;
  controllerRssBytes: number;
}

// CPU of the controller, of its Postgres backends, of this process and of the whole machine over one phase.
export class PhaseMeter {
  private readonly timer: NodeJS.Timeout;
  private readonly started = performance.now();
  private readonly machineStart = machineCpu();
  private readonly benchStart = process.cpuUsage();
  private sampling: Promise<void> = Promise.resolve();

  private constructor(private readonly ctl: ControllerProcess) {
    this.timer = setInterval(() => {
      // The pool opens and closes backends on demand: look for new ones while the phase runs.
      this.sampling = ctl
        .refreshBackends()
        .then(() => ctl.postgresCpu.sample())
        .catch(() => undefined);
    }, 500);
  }

  static async begin(ctl: ControllerProcess): Promise<PhaseMeter> {
    // The controller's CPU profile (--profile) is summarized from the first measured phase on.
    ctl.profileFromMicros ??= Number(process.hrtime.bigint() / 1000n);
    await ctl.refreshBackends();
    ctl.cpu.begin();
    ctl.postgresCpu.begin();
    return new PhaseMeter(ctl);
  }

  async end(): Promise<PhaseUsage> {
    clearInterval(this.timer);
    await this.sampling;
    const machine = machineCpu();
    const bench = process.cpuUsage(this.benchStart);
    const controllerCpuSeconds = this.ctl.cpu.seconds();
    const postgresCpuSeconds = this.ctl.postgresCpu.seconds();
    const benchCpuSeconds = (bench.user + bench.system) / 1e6;
    const machineBusyCpuSeconds = machine.busy - this.machineStart.busy;
    const mem = this.ctl.memory();
    return {
      seconds: (performance.now() - this.started) / 1000,
      controllerCpuSeconds,
      postgresCpuSeconds,
      benchCpuSeconds,
      machineBusyCpuSeconds,
      otherCpuSeconds: Math.max(0, machineBusyCpuSeconds - controllerCpuSeconds - postgresCpuSeconds - benchCpuSeconds),
      controllerPeakRssBytes: mem.peakRssBytes,
      controllerRssBytes: mem.rssBytes,
    };
  }
}
