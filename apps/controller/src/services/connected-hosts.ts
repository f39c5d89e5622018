import { Injectable } from '@nestjs/common';
import type { AgentSession } from '../gateways/agent-session.js';

// Which host has a live agent connection right now (in this controller process).
@Injectable()
export class ConnectedHosts {
  private readonly byHost = new Map<string, AgentSession>();

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
