import { type CommandOp, maskSecretsDeep, OPS, type OpSpec, opSpec } from '@corral/protocol';
import type { CorralEvent } from './event-bus.js';
import { hasRole, type Principal } from './principal.js';

// Who sees what of commands: operators and admins everything, viewers commands without what the
// op registry marks sensitive (`sensitive` of each entry: params, output, result). Secret-looking
// env values are masked in events for every role.

// An op the registry does not know (a stored row of a newer version) is kept whole from viewers.
const UNKNOWN_OP: OpSpec['sensitive'] = { params: ['env', 'command'], output: true, result: true };

export function sensitiveOf(op: string): OpSpec['sensitive'] {
  return Object.hasOwn(OPS, op) ? opSpec(op as CommandOp).sensitive : UNKNOWN_OP;
}

export type View = 'full' | 'viewer';

export function viewOf(principal: Principal | null | undefined): View {
  return principal && hasRole(principal, 'operator') ? 'full' : 'viewer';
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

// A command (summary or full) as a viewer gets it; `withheld` names what was left out.
export function redactCommand<T extends Json>(command: T): T {
  const op = String(command.op);
  const sensitive = sensitiveOf(op);
  const withheld: string[] = [];
  const out: Json = { ...command };
  if (isObject(command.params)) {
    const params = { ...command.params };
    for (const key of sensitive.params) {
      if (!(key in params)) continue;
      delete params[key];
      withheld.push(`params.${key}`);
    }
    out.params = params;
  }
  if (sensitive.result && 'result' in command && command.result !== null) {
    out.result = null;
    withheld.push('result');
  }
  // Any op's output, whatever its entry says: the output events on the stream name no op, so
  // viewers get none of them, and the stored output is kept from them the same way.
  if (typeof command.output === 'string' && command.output !== '') {
    out.output = '';
    withheld.push('output');
  }
  if (withheld.length > 0) out.withheld = withheld;
  return out as T;
}

// A placement as a viewer gets it: the create spec without its sensitive params, commands redacted.
export function redactPlacement<T extends Json>(placement: T): T {
  const out: Json = { ...placement };
  if (isObject(placement.request) && isObject(placement.request.spec)) {
    const spec = { ...placement.request.spec };
    for (const key of opSpec('container.create').sensitive.params) delete spec[key];
    out.request = { ...placement.request, spec };
  }
  if (Array.isArray(placement.commands)) {
    out.commands = placement.commands.map((c) => (isObject(c) ? redactCommand(c) : c));
  }
  return out as T;
}

const looksLikeCommand = (v: Json) =>
  typeof v.op === 'string' && isObject(v.params) && typeof v.url === 'string' && v.url.startsWith('/api/v1/commands/');
const looksLikePlacement = (v: Json) =>
  typeof v.url === 'string' && v.url.startsWith('/api/v1/placements/') && ('request' in v || 'commands' in v);

// Any API answer as a viewer gets it: commands and placements found in it (alone, in `items`, under
// `placement`) are redacted; everything else is returned as it is.
export function redactForViewer(body: unknown, depth = 0): unknown {
  if (depth > 3) return body;
  if (Array.isArray(body)) return body.map((item) => redactForViewer(item, depth + 1));
  if (!isObject(body)) return body;
  if (looksLikeCommand(body)) return redactCommand(body);
  if (looksLikePlacement(body)) return redactPlacement(body);
  let out: Json | null = null;
  for (const key of ['items', 'placement', 'command', 'commands']) {
    if (!(key in body)) continue;
    const redacted = redactForViewer(body[key], depth + 1);
    if (redacted === body[key]) continue;
    out ??= { ...body };
    out[key] = redacted;
  }
  return out ?? body;
}

// An event as the view gets it, or null when the view gets none of it (output for viewers).
export function eventForView(event: CorralEvent, view: View): CorralEvent | null {
  if (event.kind !== 'command') return event;
  if (event.type === 'command-output') return view === 'viewer' ? null : event;
  const data = maskSecretsDeep(event.data);
  return { ...event, data: view === 'viewer' ? redactCommand(data) : data };
}

const frames = new WeakMap<CorralEvent, Partial<Record<View, string | null>>>();

// The SSE frame of an event for a view, made once per event and view whoever streams it, so a
// hundred clients share one string; null when the view gets nothing.
export function sseFrameFor(event: CorralEvent, view: View): string | null {
  let byView = frames.get(event);
  if (byView && view in byView) return byView[view]!;
  const shown = eventForView(event, view);
  const frame = shown === null ? null : `id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(shown)}\n\n`;
  if (!byView) {
    byView = {};
    frames.set(event, byView);
  }
  byView[view] = frame;
  return frame;
}
