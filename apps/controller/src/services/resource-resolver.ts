import { isUuid } from '@corral/protocol';
import { Injectable } from '@nestjs/common';
import {
  type LookupCandidate,
  type LookupKind,
  MAX_CANDIDATES,
  ResourceLookupRepository,
} from '../repositories/resource-lookup.repository.js';
import { AmbiguousError, BadRequestError, NotFoundError } from './errors.js';

// Printable, no NUL or control characters; longer than any name an engine allows.
const hasControl = (value: string) => [...value].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f);

// Kinds whose names are unique per host only, so `HOST/NAME` picks one host's.
const HOST_QUALIFIED = new Set<LookupKind>(['container', 'volume', 'network']);

// Turns what a person typed (Corral id, hostname, name, engine id or a 12+ character prefix of it,
// image repo:tag, HOST/NAME) into one row's Corral id: 404 when nothing matches, 409 listing the
// candidates when several do.
@Injectable()
export class ResourceResolver {
  constructor(private readonly lookup: ResourceLookupRepository) {}

  async resolve(kind: LookupKind, ref: string, field: string = kind): Promise<LookupCandidate> {
    if (ref.length === 0 || ref.length > 512 || hasControl(ref)) {
      throw new BadRequestError(
        `${field}: must be 1 to 512 printable characters (an id, a name or an engine id)`,
        field,
      );
    }
    if (isUuid(ref)) {
      const row = await this.lookup.byId(kind, ref.toLowerCase());
      if (row) return row;
      // A UUID-shaped name is possible (LXC names, volumes): fall through to names.
    }
    let name = ref;
    let hostId: string | null = null;
    const slash = ref.indexOf('/');
    if (HOST_QUALIFIED.has(kind) && slash > 0) {
      hostId = (await this.resolve('host', ref.slice(0, slash), field)).id;
      name = ref.slice(slash + 1);
    }
    const rows = await this.lookup.byName(kind, name, hostId);
    if (rows.length === 1) return rows[0]!;
    if (rows.length === 0) throw new NotFoundError(`no ${kind} is named or has the id "${ref}"`);
    const shown = rows.slice(0, MAX_CANDIDATES);
    const more = rows.length > MAX_CANDIDATES ? ' (and more)' : '';
    const hint = HOST_QUALIFIED.has(kind)
      ? `; name one by its Corral id or as HOST/${name}`
      : '; name one by its Corral id';
    throw new AmbiguousError(
      `"${ref}" names ${rows.length > MAX_CANDIDATES ? `more than ${MAX_CANDIDATES}` : rows.length} ${kind}s${more}${hint}`,
      shown.map((c) => ({ id: c.id, name: c.name, hostId: c.hostId, hostname: c.hostname })),
    );
  }

  async resolveId(kind: LookupKind, ref: string, field?: string): Promise<string> {
    return (await this.resolve(kind, ref, field)).id;
  }
}
