import type { Hello, LoadReport } from '@corral/protocol';
import { Inject, Injectable } from '@nestjs/common';
import type { PrismaClient } from '../generated/prisma/client.js';
import { PRISMA } from './tokens.js';

export interface RegisteredHost {
  id: string;
  lastSeq: number;
  isNew: boolean;
  previousStatus: 'online' | 'offline' | null;
}

@Injectable()
export class HostRepository {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  async registerHello(hello: Hello, now: Date): Promise<RegisteredHost> {
    const existing = await this.prisma.host.findUnique({
      where: { agentId: hello.agentId },
      select: { id: true, status: true },
    });
    const data = {
      hostname: hello.hostname,
      status: 'online' as const,
      agentVersion: hello.agentVersion,
      protocolVersion: hello.protocolVersion,
      runtimes: hello.runtimes,
      agentLabels: hello.labels,
      connectedAt: now,
      lastSeenAt: now,
      offlineAt: null,
    };
    const host = await this.prisma.host.upsert({
      where: { agentId: hello.agentId },
      create: { agentId: hello.agentId, ...data },
      update: data,
      select: { id: true, lastSeq: true },
    });
    return { id: host.id, lastSeq: Number(host.lastSeq), isNew: !existing, previousStatus: existing?.status ?? null };
  }

  async recordLoad(hostId: string, load: LoadReport, now: Date): Promise<void> {
    await this.prisma.host.updateMany({
      where: { id: hostId },
      data: { load, lastSeenAt: now, status: 'online', offlineAt: null },
    });
  }

  async touch(hostIds: string[], now: Date): Promise<void> {
    if (hostIds.length === 0) return;
    await this.prisma.host.updateMany({
      where: { id: { in: hostIds } },
      data: { lastSeenAt: now, status: 'online', offlineAt: null },
    });
  }

  // Online hosts not heard from since `seenBefore` go offline; their inventory stays, marked stale.
  async markOffline(seenBefore: Date, exceptIds: string[], now: Date): Promise<{ id: string; hostname: string }[]> {
    const hosts = await this.prisma.host.findMany({
      where: { status: 'online', lastSeenAt: { lt: seenBefore }, id: { notIn: exceptIds } },
      select: { id: true, hostname: true },
    });
    if (hosts.length === 0) return [];
    await this.prisma.host.updateMany({
      where: { id: { in: hosts.map((h) => h.id) }, status: 'online' },
      data: { status: 'offline', offlineAt: now },
    });
    return hosts;
  }
}
