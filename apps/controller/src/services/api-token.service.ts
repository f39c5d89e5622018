import { Inject, Injectable, Logger, type OnApplicationBootstrap, Optional } from '@nestjs/common';
import type { Config } from '../config/config.js';
import type { ApiTokenDto, CreateApiToken, Role } from '../dtos/auth.dto.js';
import { ApiTokenRepository, type ApiTokenRow } from '../repositories/api-token.repository.js';
import type { Clock } from '../repositories/clock.repository.js';
import { CLOCK, CONFIG } from '../repositories/tokens.js';
import { NotFoundError } from './errors.js';
import type { Principal } from './principal.js';
import { hashSecret, newSecret, secretPrefix } from './secrets.js';
import { StreamAccessService } from './stream-access.service.js';

export type TokenCheck = { ok: true; principal: Principal } | { ok: false; reason: string };

// lastUsedAt is written at most this often per token, so reads stay reads.
const TOUCH_EVERY_MS = 60_000;
// A token found is remembered this long, so a burst of requests reads it once. Revoking through this
// controller forgets it at once; a change made to the database behind its back shows within this time.
const REMEMBER_MS = 2_000;

export function toApiTokenDto(row: ApiTokenRow): ApiTokenDto {
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    prefix: row.prefix,
    createdBy: row.createdBy,
    createdAt: row.createdAt.toISOString(),
    expiresAt: row.expiresAt?.toISOString() ?? null,
    revokedAt: row.revokedAt?.toISOString() ?? null,
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
  };
}

// API bearer tokens: checking them on every request, minting, listing, revoking, and the admin
// token a first start needs.
@Injectable()
export class ApiTokenService implements OnApplicationBootstrap {
  private readonly logger = new Logger('Auth');
  private readonly touchedAt = new Map<string, number>();
  private readonly known = new Map<string, { row: ApiTokenRow; until: number }>();

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly repo: ApiTokenRepository,
    // Absent on the command line, where no stream is open.
    @Optional() private readonly streams?: StreamAccessService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const now = this.clock.now();
    if (this.config.adminToken) {
      const secret = this.config.adminToken;
      await this.repo.syncEnvAdmin(
        { name: 'admin (CORRAL_ADMIN_TOKEN)', prefix: secretPrefix(secret), secretHash: hashSecret(secret) },
        now,
      );
      return;
    }
    const secret = newSecret('api');
    const made = await this.repo.createAdminIfNone(
      {
        name: 'admin (first start)',
        role: 'admin',
        prefix: secretPrefix(secret),
        secretHash: hashSecret(secret),
        createdBy: 'first start',
        expiresAt: null,
      },
      now,
    );
    if (made) {
      // Shown once, on stdout and not through the logger: it is the only copy there will ever be.
      process.stdout.write(
        [
          '',
          '==================================================================================',
          ' No admin API token existed, so one was made. It is shown this once; keep it safe:',
          '',
          `   ${secret}`,
          '',
          ' Use it as "Authorization: Bearer <token>". Set CORRAL_ADMIN_TOKEN to choose your own.',
          '==================================================================================',
          '',
          '',
        ].join('\n'),
      );
    }
  }

  async authenticate(secret: string): Promise<TokenCheck> {
    const row = await this.find(hashSecret(secret));
    if (!row) return { ok: false, reason: 'invalid bearer token' };
    const now = this.clock.now();
    if (row.revokedAt) return { ok: false, reason: `token ${row.prefix}… was revoked` };
    if (row.expiresAt && row.expiresAt <= now) return { ok: false, reason: `token ${row.prefix}… expired` };
    const last = this.touchedAt.get(row.id) ?? row.lastUsedAt?.getTime() ?? 0;
    if (now.getTime() - last >= TOUCH_EVERY_MS) {
      this.touchedAt.set(row.id, now.getTime());
      this.repo
        .touch(row.id, now)
        .catch((err: Error) => this.logger.warn(`could not record token use: ${err.message}`));
    }
    return { ok: true, principal: { kind: 'token', id: row.id, name: row.name, role: row.role as Role } };
  }

  // Only tokens that exist are remembered: made-up secrets cannot fill the memory.
  private async find(hash: string): Promise<ApiTokenRow | null> {
    const at = Date.now();
    const hit = this.known.get(hash);
    if (hit && hit.until > at) return hit.row;
    const row = await this.repo.findByHash(hash);
    if (row) this.known.set(hash, { row, until: at + REMEMBER_MS });
    else this.known.delete(hash);
    return row;
  }

  async create(input: CreateApiToken, createdBy: string | null): Promise<ApiTokenDto & { secret: string }> {
    const secret = newSecret('api');
    const now = this.clock.now();
    const row = await this.repo.create({
      name: input.name,
      role: input.role,
      prefix: secretPrefix(secret),
      secretHash: hashSecret(secret),
      createdBy,
      expiresAt: input.expiresInSeconds ? new Date(now.getTime() + input.expiresInSeconds * 1000) : null,
    });
    return { ...toApiTokenDto(row), secret };
  }

  async list(): Promise<{ items: ApiTokenDto[] }> {
    return { items: (await this.repo.list()).map(toApiTokenDto) };
  }

  async revoke(id: string): Promise<ApiTokenDto> {
    await this.repo.revoke(id, this.clock.now());
    for (const [hash, { row }] of this.known) if (row.id === id) this.known.delete(hash);
    this.streams?.revoked(id);
    const row = await this.repo.findById(id);
    if (!row) throw new NotFoundError(`no API token with id ${id}`);
    return toApiTokenDto(row);
  }
}
