import { Inject, Injectable } from '@nestjs/common';
import type { CreatePolicy, Prisma, PrismaClient } from '../generated/prisma/client.js';
import { PRISMA } from './tokens.js';

export type PolicyRow = CreatePolicy;

export interface NewPolicy {
  name: string;
  selector: Prisma.InputJsonValue;
  grants: Prisma.InputJsonValue;
  createdBy: string | null;
}

// What a create policy check needs of a host.
export interface PolicyHostRow {
  id: string;
  hostname: string;
  agentLabels: unknown;
  // facts.lxcTemplates; null until the host reports them.
  lxcTemplates: unknown;
}

export class DuplicatePolicyNameError extends Error {}

// Create policies, and the host facts they are checked against.
@Injectable()
export class PolicyRepository {
  constructor(@Inject(PRISMA) private readonly prisma: PrismaClient) {}

  list(): Promise<PolicyRow[]> {
    return this.prisma.createPolicy.findMany({ orderBy: [{ name: 'asc' }] });
  }

  find(id: string): Promise<PolicyRow | null> {
    return this.prisma.createPolicy.findUnique({ where: { id } });
  }

  async create(policy: NewPolicy): Promise<PolicyRow> {
    return this.unique(() => this.prisma.createPolicy.create({ data: policy }));
  }

  // Null when there is no such policy.
  async replace(id: string, policy: Omit<NewPolicy, 'createdBy'>): Promise<PolicyRow | null> {
    const { count } = await this.unique(() => this.prisma.createPolicy.updateMany({ where: { id }, data: policy }));
    return count === 0 ? null : this.find(id);
  }

  async remove(id: string): Promise<boolean> {
    const { count } = await this.prisma.createPolicy.deleteMany({ where: { id } });
    return count > 0;
  }

  async hosts(ids: readonly string[]): Promise<PolicyHostRow[]> {
    if (ids.length === 0) return [];
    return this.prisma.$queryRaw<PolicyHostRow[]>`
      SELECT id::text AS id, hostname, "agentLabels", facts->'lxcTemplates' AS "lxcTemplates"
      FROM "Host" WHERE id = ANY(${[...ids]}::uuid[])`;
  }

  private async unique<T>(write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (err) {
      if ((err as { code?: string }).code === 'P2002') throw new DuplicatePolicyNameError();
      throw err;
    }
  }
}
