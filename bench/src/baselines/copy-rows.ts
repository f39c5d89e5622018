import { randomUUID } from 'node:crypto';
import type { ContainerRecord } from '@corral/protocol';

// COPY text format: backslash escapes for the delimiter, newlines and the backslash itself.
const esc = (s: string) =>
  s.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
const text = (v: string | null) => (v === null ? '\\N' : esc(v));
const json = (v: unknown) => esc(JSON.stringify(v));
const array = (v: string[] | null) =>
  v === null ? '\\N' : esc(`{${v.map((e) => `"${e.replace(/["\\]/g, (c) => `\\${c}`)}"`).join(',')}}`);
const scalar = (v: number | boolean | null) => (v === null ? '\\N' : String(v));

export const CONTAINER_COPY_COLUMNS = [
  'id',
  'hostId',
  'key',
  'runtime',
  'engineId',
  'name',
  'lxcPath',
  'image',
  'imageId',
  'command',
  'state',
  'status',
  'createdAt',
  'startedAt',
  'labels',
  'labelText',
  'ports',
  'mounts',
  'networks',
  'ipv4',
  'ipv6',
  'macs',
  'restartPolicy',
  'pid',
  'autostart',
  'groups',
  'memoryBytes',
] as const;

// One row of the Container table as the controller stores the record, as a line of COPY text.
export function containerCopyLine(hostId: string, key: string, c: ContainerRecord): string {
  const labelText = Object.entries(c.labels)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n');
  const macs = [...new Set(c.networks.map((n) => n.mac?.toLowerCase()).filter((m): m is string => !!m))];
  return `${[
    randomUUID(),
    hostId,
    text(key),
    text(c.runtime),
    text(c.id),
    text(c.name),
    text(c.lxcPath),
    text(c.image),
    text(c.imageId),
    text(c.command),
    text(c.state),
    text(c.status),
    text(c.createdAt),
    text(c.startedAt),
    json(c.labels),
    esc(labelText),
    json(c.ports),
    json(c.mounts),
    json(c.networks),
    array(c.ipv4),
    array(c.ipv6),
    array(macs),
    text(c.restartPolicy),
    scalar(c.pid),
    scalar(c.autostart),
    array(c.groups),
    scalar(c.memoryBytes),
  ].join('\t')}\n`;
}
