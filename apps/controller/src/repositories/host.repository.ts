import type { Hello } from '@corral/protocol';
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

  // The host row exists from enrollment; hello brings it online with what the agent reports.
  async registerHello(hostId: string, hello: Hello, now: Date): Promise<RegisteredHost> {
    const existing = await this.prisma.host.findUniqueOrThrow({
      where: { id: hostId },
      select: { status: true, connectedAt: true },
    });
    const host = await this.prisma.host.update({
      where: { id: hostId },
      data: {
        hostname: hello.hostname,
        status: 'online',
        agentVersion: hello.agentVersion,
        protocolVersion: hello.protocolVersion,
        runtimes: hello.runtimes,
        agentLabels: hello.labels,
        connectedAt: now,
        lastSeenAt: now,
        offlineAt: null,
      },
      select: { id: true, lastSeq: true },
    });
    const isNew = existing.connectedAt === null;
    return {
      id: host.id,
      lastSeq: Number(host.lastSeq),
      isNew,
      // A host enrolled but never connected was not offline before: it did not exist yet.
      previousStatus: isNew ? null : existing.status,
    };
  }

  // `seenBefore` leaves alone hosts online and seen since then (heartbeats keep them fresh), so a
  // sweep over a large fleet rewrites only the rows that need it.
  async touch(hostIds: string[], now: Date, seenBefore?: Date): Promise<void> {
    if (hostIds.length === 0) return;
    await this.prisma.host.updateMany({
      where: {
        id: { in: hostIds },
        ...(seenBefore
          ? { OR: [{ status: { not: 'online' } }, { lastSeenAt: null }, { lastSeenAt: { lt: seenBefore } }] }
          : {}),
      },
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
