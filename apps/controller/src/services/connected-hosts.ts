import { Injectable } from '@nestjs/common';
import type { AgentSession } from '../gateways/agent-session.js';

// Which host has a live agent connection right now (in this controller process), and every open
// agent connection by the host its credential belongs to, hello or not.
@Injectable()
export class ConnectedHosts {
  private readonly byHost = new Map<string, AgentSession>();
  private readonly open = new Set<AgentSession>();

  track(session: AgentSession): void {
    this.open.add(session);
  }

  untrack(session: AgentSession): void {
    this.open.delete(session);
  }

  // Closes every connection made with a credential of this host; returns how many there were.
  closeHost(hostId: string, code: number, reason: string): number {
    let closed = 0;
    for (const session of this.open) {
      if (session.auth.hostId !== hostId) continue;
      session.close(code, reason);
      closed++;
    }
    return closed;
  }

  // Open agent connections, hello or not.
  connections(): number {
    return this.open.size;
  }

  set(hostId: string, session: AgentSession): AgentSession | undefined {
    const previous = this.byHost.get(hostId);
    this.byHost.set(hostId, session);
    return previous;
  }

  // Removes the entry only if it still belongs to this session (a newer one may have replaced it).
  remove(hostId: string, session: AgentSession): boolean {
    if (this.byHost.get(hostId) !== session) return false;
    this.byHost.delete(hostId);
    return true;
  }

  get(hostId: string): AgentSession | undefined {
    return this.byHost.get(hostId);
  }

  hostIds(): string[] {
    return [...this.byHost.keys()];
  }
}
