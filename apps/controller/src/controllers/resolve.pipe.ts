import { type ArgumentMetadata, Inject, Injectable, type PipeTransform, type Type } from '@nestjs/common';
import type { LookupKind } from '../repositories/resource-lookup.repository.js';
import { ResourceResolver } from '../services/resource-resolver.js';

// What a route's `{id}` may be, for OpenAPI, by kind.
export const REFERENCE_DESCRIPTIONS: Record<LookupKind, string> = {
  host: 'the host: Corral id or hostname',
  container:
    'the container: Corral id, name (HOST/NAME when several hosts have it), or Docker id (12 or more characters of it)',
  image: 'the image: Corral id, repo:tag, or Docker image id (12 or more characters of it)',
  volume: 'the volume: Corral id or name (HOST/NAME when several hosts have it)',
  network:
    'the network: Corral id, name (HOST/NAME when several hosts have it), or Docker id (12 or more characters of it)',
};

// A path parameter naming a host or an inventory row, turned into its Corral id (404 / 409 / 400).
function resolvePipe(kind: LookupKind): Type<PipeTransform<string, Promise<string>>> {
  @Injectable()
  class ResolveReferencePipe implements PipeTransform<string, Promise<string>> {
    constructor(@Inject(ResourceResolver) private readonly resolver: ResourceResolver) {}

    transform(value: string, metadata: ArgumentMetadata): Promise<string> {
      return this.resolver.resolveId(kind, String(value ?? ''), metadata.data ?? kind);
    }
  }
  return ResolveReferencePipe;
}

export const HostRef = resolvePipe('host');
export const ContainerRef = resolvePipe('container');
export const ImageRef = resolvePipe('image');
export const VolumeRef = resolvePipe('volume');
export const NetworkRef = resolvePipe('network');
