import type { ControllerMessage } from '@corral/protocol';
import type { WebSocket } from 'ws';

// What the upgrade request's credential proved: the host is taken from here, never from hello.
export interface AgentAuth {
  hostId: string;
  hostname: string;
  credentialId: string;
}

// One live agent connection. Frames are handled strictly in arrival order through `queue`.
export class AgentSession {
  hostId: string | null = null;
  agentId: string | null = null;
  hostname: string | null = null;
  // A hello frame was received (registering it may still be under way).
  helloArrived = false;
  // What the agent announced in hello (stream kinds per runtime, ...).
  capabilities: readonly string[] = [];
  // The host's connection epoch this session's hello raised it to; frames count only while it is current.
  epoch: number | null = null;
  lastHeardAt = Date.now();
  // Frames received and not yet handled.
  pending = 0;
  // Gives back this agent's place among those sending a full snapshot (see SnapshotAdmission).
  releaseSnapshotPlace: (() => void) | null = null;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    readonly socket: WebSocket,
    readonly remoteAddress: string,
    readonly auth: AgentAuth,
  ) {}

  get label(): string {
    return this.hostname ? `${this.hostname} (${this.hostId})` : this.remoteAddress;
  }

  enqueue(task: () => Promise<void>): void {
    this.pending++;
    this.queue = this.queue.then(task).finally(() => {
      this.pending--;
    });
  }

  send(message: ControllerMessage): void {
    if (this.socket.readyState === this.socket.OPEN) this.socket.send(JSON.stringify(message));
  }

  close(code: number, reason: string): void {
    if (this.socket.readyState === this.socket.OPEN || this.socket.readyState === this.socket.CONNECTING) {
      this.socket.close(code, reason.slice(0, 120));
      // A socket paused by the rate limit must be read again, or the close handshake never ends.
      if (this.socket.isPaused) this.socket.resume();
    }
  }
}
