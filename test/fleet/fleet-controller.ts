import path from 'node:path';
import { alive, FLEET_MARKER, logTail, startDaemon, stopPid } from './daemon.js';
import type { ControllerState } from './fleet-state.js';
import { sleep } from './run.js';

// The built controller as a process listening on 0.0.0.0, so that agents in the host namespaces
// reach it at their gateway address. Its pid goes to the fleet's state file.
export class FleetController {
  constructor(
    readonly state: ControllerState,
    private readonly tag: string,
    private readonly repoRoot: string,
    private readonly env: Record<string, string>,
    private readonly save: () => void,
  ) {}

  get baseUrl(): string {
    return `http://127.0.0.1:${this.state.port}`;
  }
  get pid(): number | undefined {
    return this.state.pid;
  }
  get running(): boolean {
    return alive(this.state.pid);
  }

  async start(readyTimeoutMs = 120_000): Promise<void> {
    const d = startDaemon(process.execPath, [path.join(this.repoRoot, 'apps/controller/dist/main.js')], {
      cwd: this.repoRoot,
      logFile: this.state.logFile,
      env: {
        [FLEET_MARKER]: this.tag,
        PORT: String(this.state.port),
        HOST: '0.0.0.0',
        ...(this.state.databaseUrl ? { DATABASE_URL: this.state.databaseUrl } : {}),
        ...(this.state.dataDir ? { CORRAL_DATA_DIR: this.state.dataDir } : {}),
        ...this.env,
      },
    });
    this.state.pid = d.pid;
    this.save();
    const deadline = Date.now() + readyTimeoutMs;
    for (;;) {
      if (!alive(d.pid)) throw new Error(`the controller exited during start-up:\n${this.logTail()}`);
      if ((await this.readyz()) === 200) return;
      if (Date.now() > deadline) throw new Error(`controller not ready in ${readyTimeoutMs} ms:\n${this.logTail()}`);
      await sleep(200);
    }
  }

  // HTTP status of /readyz, or 0 when nothing answers.
  async readyz(): Promise<number> {
    try {
      const res = await fetch(`${this.baseUrl}/readyz`, { signal: AbortSignal.timeout(3_000) });
      await res.text();
      return res.status;
    } catch {
      return 0;
    }
  }

  async stop(sig: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await stopPid(this.state.pid, sig, 30_000);
    this.state.pid = undefined;
    this.save();
  }

  async restart(sig: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    await this.stop(sig);
    await this.start();
  }

  logTail(lines = 40): string {
    return logTail(this.state.logFile, lines);
  }
}
