import {
  CONTROLLER_ONLY_PARAMS,
  type CommandOp,
  opSpec,
  parseImageReference,
  type RegistryAuth,
} from '@corral/protocol';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Config } from '../config/config.js';
import type { RegistryDto, RegistryInput } from '../dtos/registry.dto.js';
import type { Clock } from '../repositories/clock.repository.js';
import { DuplicateRegistryError, RegistryRepository, type RegistryRow } from '../repositories/registry.repository.js';
import { CLOCK, CONFIG } from '../repositories/tokens.js';
import { ConflictError, NotFoundError } from './errors.js';
import { loadSecretKey, SecretBox } from './secret-box.js';

// Docker Hub, as a reference without a registry means it.
export const DEFAULT_REGISTRY = 'docker.io';

// The registry a reference pulls from: its domain, docker.io when it names none; null for a
// reference that is not one (an image id is no pull).
export function registryOf(reference: string): string | null {
  const parsed = parseImageReference(reference);
  return parsed.ok ? (parsed.reference.domain ?? DEFAULT_REGISTRY) : null;
}

export function toRegistryDto(row: RegistryRow): RegistryDto {
  return {
    id: row.id,
    address: row.address,
    username: row.username,
    secretKind: row.secretKind === 'token' ? 'token' : 'password',
    insecure: row.insecure,
    createdBy: row.createdBy,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

// Registries pulls authenticate to. Secrets are sealed (AES-256-GCM) before they reach the database
// and opened only to go into the frame of a command that pulls from that registry: never into an
// answer, a log line, an audit entry, an event or the stored command.
@Injectable()
export class RegistryService {
  private readonly logger = new Logger('Registries');
  private readonly box: SecretBox;

  constructor(
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(CONFIG) config: Config,
    private readonly repo: RegistryRepository,
  ) {
    this.box = new SecretBox(loadSecretKey(config.secretKey, config.dataDir));
  }

  async list(): Promise<{ items: RegistryDto[] }> {
    return { items: (await this.repo.list()).map(toRegistryDto) };
  }

  async create(input: RegistryInput, createdBy: string | null): Promise<RegistryDto> {
    const secretKind = input.token !== undefined ? 'token' : 'password';
    const secret = input.token ?? input.password ?? '';
    try {
      const row = await this.repo.create(
        {
          address: input.address.toLowerCase(),
          username: input.username ?? null,
          secretKind,
          secretCipher: this.box.seal(secret),
          insecure: input.insecure,
          createdBy,
        },
        this.clock.now(),
      );
      this.logger.log(`registry ${row.address} (${row.id}) added by ${createdBy ?? 'unknown'}`);
      return toRegistryDto(row);
    } catch (err) {
      if (err instanceof DuplicateRegistryError) {
        throw new ConflictError(`a registry ${input.address} exists; remove it first to change its credential`);
      }
      throw err;
    }
  }

  // By id or address.
  async remove(ref: string): Promise<void> {
    const rows = await this.repo.list();
    const row = rows.find((r) => r.id === ref || r.address === ref.toLowerCase());
    if (!row || !(await this.repo.remove(row.id))) throw new NotFoundError(`no registry has the id or address ${ref}`);
    this.logger.log(`registry ${row.address} (${row.id}) removed`);
  }

  // The credential of the registry this reference pulls from, or null when Corral has none for it.
  async credentialFor(reference: string): Promise<RegistryAuth | null> {
    const address = registryOf(reference);
    if (!address) return null;
    const row = await this.repo.byAddress(address.toLowerCase());
    if (!row) return null;
    let secret: string;
    try {
      secret = this.box.open(row.secretCipher);
    } catch {
      // Sealed under another key: pull without it, and say why (never the secret).
      this.logger.warn(
        `registry ${row.address}: its secret does not open with this controller's key; pulling without it`,
      );
      return null;
    }
    return {
      serveraddress: row.address,
      ...(row.username ? { username: row.username } : {}),
      ...(row.secretKind === 'token' ? { identitytoken: secret } : { password: secret }),
      insecure: row.insecure,
    };
  }

  // A command's params as its frame carries them: with the credential of the registry it pulls
  // from, for ops that pull (the op registry's pullsFrom) and creates that may pull.
  async frameParams(op: CommandOp, params: Record<string, unknown>): Promise<Record<string, unknown>> {
    const from = opSpec(op).pullsFrom;
    if (!from || params.pull === 'never') return params;
    const reference = params[from];
    if (typeof reference !== 'string') return params;
    const auth = await this.credentialFor(reference);
    const clean = { ...params };
    for (const key of CONTROLLER_ONLY_PARAMS) delete clean[key];
    return auth ? { ...clean, registryAuth: auth } : clean;
  }
}
