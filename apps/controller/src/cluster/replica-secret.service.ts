import { randomBytes, timingSafeEqual } from 'node:crypto';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { ClusterRepository } from '../repositories/cluster.repository.js';
import { bearerToken } from '../services/secrets.js';

const KEY = 'replica-secret';

// The secret replicas present to each other on internal calls (`Authorization: Bearer <secret>`).
// The first replica to start makes it; the others read the same row, so there is nothing to
// configure, and whoever can read the database could already do anything these calls do.
@Injectable()
export class ReplicaSecret implements OnModuleInit {
  private value: Buffer | null = null;

  constructor(private readonly repo: ClusterRepository) {}

  async onModuleInit(): Promise<void> {
    this.value = Buffer.from(await this.repo.sharedSetting(KEY, randomBytes(32).toString('base64url')));
  }

  // The Authorization header value for a call to another replica.
  authorization(): string {
    return `Bearer ${this.secret().toString()}`;
  }

  // Whether an Authorization header carries the secret; compared in constant time.
  matches(header: string | string[] | undefined): boolean {
    const presented = bearerToken(header);
    if (!presented) return false;
    const secret = this.secret();
    const given = Buffer.from(presented);
    return given.length === secret.length && timingSafeEqual(given, secret);
  }

  private secret(): Buffer {
    if (!this.value) throw new Error('the replica secret is read at start; this was called before');
    return this.value;
  }
}
