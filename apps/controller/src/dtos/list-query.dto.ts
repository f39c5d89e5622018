import { isIP } from 'node:net';
import { ContainerStateSchema, HOST_STATUSES, IMAGE_ORIGINS, RuntimeNameSchema } from '@corral/protocol';
import { z } from 'zod';
import { commaList } from './comma-list.js';
import { CursorParamSchema, LimitParamSchema } from './pagination.dto.js';

// IPv6 in RFC 5952 form (lower case, no leading zeros, the longest zero run as ::), as Docker and
// iproute2 print it, so that the inventory's text columns match however the address was written.
function canonicalIp(v: string): string {
  const lower = v.toLowerCase();
  if (isIP(lower) !== 6 || lower.includes('%') || lower.includes('.')) return lower;
  return new URL(`http://[${lower}]`).hostname.slice(1, -1);
}

export const IpAddressSchema = z
  .string()
  .trim()
  .refine((v) => isIP(v) !== 0, 'must be an IPv4 or IPv6 address')
  .transform(canonicalIp);

const MacSchema = z
  .string()
  .trim()
  .regex(/^[0-9a-fA-F]{2}([:-][0-9a-fA-F]{2}){5}$/, 'must be a MAC address like 02:42:ac:11:00:02')
  .transform((v) => v.toLowerCase().replaceAll('-', ':'));

const BooleanParamSchema = z.enum(['true', 'false']).transform((v) => v === 'true');

const text = z.string().trim().min(1).max(255);

const filters = {
  host: text.optional().describe('host id or exact hostname (case-insensitive)'),
  runtime: RuntimeNameSchema.optional().describe('docker or lxc'),
  state: commaList(ContainerStateSchema, 'state')
    .optional()
    .describe('container states, comma-separated (running,exited)'),
  name: text.optional().describe('case-insensitive substring of the name'),
  label: z
    .string()
    .trim()
    .min(1)
    .max(1024)
    .optional()
    .describe('case-insensitive substring of any "key=value" label; `key=value` finds that pair'),
  ip: IpAddressSchema.optional().describe('IPv4 or IPv6 address held'),
  mac: MacSchema.optional().describe('MAC address (any case, : or - separated)'),
  stale: BooleanParamSchema.optional().describe('true: only rows of offline hosts; false: only of online hosts'),
};

const page = { limit: LimitParamSchema, cursor: CursorParamSchema };

const OriginSchema = z.enum(IMAGE_ORIGINS);

export const HostListQuerySchema = z.strictObject({
  name: filters.name.describe('case-insensitive substring of the hostname'),
  label: filters.label,
  status: z.enum(HOST_STATUSES).optional().describe('online or offline'),
  stale: BooleanParamSchema.optional().describe('true: only offline hosts; false: only online hosts'),
  ...page,
});

export const ContainerListQuerySchema = z.strictObject({
  host: filters.host,
  runtime: filters.runtime,
  state: filters.state,
  name: filters.name.describe('case-insensitive substring of the container name'),
  label: filters.label,
  ip: filters.ip.describe('an address in the container ipv4 or ipv6 list'),
  mac: filters.mac.describe('MAC address of one of the container interfaces'),
  imageOrigin: OriginSchema.optional().describe(
    "Docker containers whose image has this origin on their host (see the images' origin filter)",
  ),
  stale: filters.stale,
  ...page,
});

export const ImageListQuerySchema = z.strictObject({
  host: filters.host,
  name: filters.name.describe('case-insensitive substring of any tag'),
  label: filters.label,
  origin: OriginSchema.optional().describe(
    'how the image came to its host: pulled, loaded, copied, committed, imported, or unknown (appeared outside Corral)',
  ),
  digest: z
    .string()
    .trim()
    .regex(/^sha256:[0-9a-f]{64}$/, 'must be sha256: and 64 lowercase hex digits')
    .optional()
    .describe('a registry digest: images whose repo digests hold it, or whose origin traces to it (copies too)'),
  stale: filters.stale,
  ...page,
});

export const VolumeListQuerySchema = z.strictObject({
  host: filters.host,
  name: filters.name.describe('case-insensitive substring of the volume name'),
  label: filters.label,
  stale: filters.stale,
  ...page,
});

export const NetworkListQuerySchema = z.strictObject({
  host: filters.host,
  name: filters.name.describe('case-insensitive substring of the network name'),
  label: filters.label,
  stale: filters.stale,
  ...page,
});

export const BridgeListQuerySchema = z.strictObject({
  host: filters.host,
  name: filters.name.describe('case-insensitive substring of the bridge name'),
  ip: filters.ip.describe('an address assigned to the bridge'),
  stale: filters.stale,
  ...page,
});

export const LeaseListQuerySchema = z.strictObject({
  host: filters.host,
  name: filters.name.describe('case-insensitive substring of the client hostname'),
  ip: filters.ip.describe('the leased address'),
  mac: filters.mac.describe('the client MAC address'),
  stale: filters.stale,
  ...page,
});

export const IdParamSchema = z.guid('must be a UUID');

export type HostListQuery = z.output<typeof HostListQuerySchema>;
export type ContainerListQuery = z.output<typeof ContainerListQuerySchema>;
export type ImageListQuery = z.output<typeof ImageListQuerySchema>;
export type VolumeListQuery = z.output<typeof VolumeListQuerySchema>;
export type NetworkListQuery = z.output<typeof NetworkListQuerySchema>;
export type BridgeListQuery = z.output<typeof BridgeListQuerySchema>;
export type LeaseListQuery = z.output<typeof LeaseListQuerySchema>;
