import { COMMAND_OPS, type CommandOp, type OpSpec, opSpec } from '@corral/protocol';
import { Controller, Delete, Get, HttpStatus, Inject, Param, Post, Req } from '@nestjs/common';
import { AuditService } from '../services/audit.service.js';
import { CommandService, type CommandSubject } from '../services/command.service.js';
import { type UploadBody, UploadService } from '../services/upload.service.js';
import type { AuthenticatedRequest } from './auth.decorators.js';
import { CommandInput, type CommandInputValue, CommandRoute } from './command-route.decorators.js';
import { paramPathNames } from './op-route.schemas.js';
import { markAuditWritten, requestAuditRecord } from './request-audit.js';

const METHODS = { POST: Post, DELETE: Delete, GET: Get } as const;

// Every command route, one per op of the registry (packages/protocol ops/registry.ts): the method,
// path, OpenAPI, role and the way params arrive all come from the op's entry.
@Controller('api/v1')
export class OpRoutesController {
  constructor(
    @Inject(CommandService) readonly commands: CommandService,
    @Inject(UploadService) readonly uploads: UploadService,
    @Inject(AuditService) readonly audit: AuditService,
  ) {}

  submit(op: CommandOp, path: Record<string, string>, input: CommandInputValue, upload: UploadBody) {
    const spec = opSpec(op);
    const subject = subjectOf(spec, path);
    const fromPath = Object.fromEntries(paramPathNames(op).map((name) => [name, path[name]]));
    if (spec.route.paramsFrom === 'upload') {
      return this.uploads.submitWithUpload(op, subject, { ...input.query, ...fromPath }, upload, input.request);
    }
    const params = spec.route.paramsFrom === 'query' ? input.query : input.body;
    // The request's audit entry goes in the statement that writes its command (answered 202).
    const req = upload as unknown as AuthenticatedRequest;
    const audit = {
      entry: (id: string) => this.audit.entryOf(requestAuditRecord(req, op, HttpStatus.ACCEPTED, { id })),
      written: () => markAuditWritten(req),
    };
    return this.commands.submit(subject, op, { ...params, ...fromPath }, { ...input.request, audit });
  }
}

function subjectOf(spec: OpSpec, path: Record<string, string>): CommandSubject {
  if (spec.target === 'host') return { kind: 'host', id: path.host! };
  return { kind: spec.target, id: path.id! };
}

// `/containers/{id}/snapshots/{snapshot}` -> `containers/:id/snapshots/:snapshot`
export const expressPath = (path: string) => path.replace(/^\//, '').replace(/\{(\w+)\}/g, ':$1');

// The route handler's method name on the controller, e.g. `container.snapshot.restore` -> `containerSnapshotRestore`.
export const handlerName = (op: CommandOp) => op.replace(/\.(\w)/g, (_, c: string) => c.toUpperCase());

for (const op of COMMAND_OPS) {
  const spec = opSpec(op);
  // Served by their own controllers (images-transfer.controller.ts).
  if (spec.route.custom) continue;
  const proto = OpRoutesController.prototype as unknown as Record<string, unknown>;
  const name = handlerName(op);
  proto[name] = function (
    this: OpRoutesController,
    path: Record<string, string>,
    input: CommandInputValue,
    req: UploadBody,
  ) {
    return this.submit(op, path, input, req);
  };
  Param()(proto, name, 0);
  CommandInput(op)(proto, name, 1);
  Req()(proto, name, 2);
  const descriptor = Object.getOwnPropertyDescriptor(proto, name)!;
  const decorated = Reflect.decorate(
    [METHODS[spec.route.method](expressPath(spec.route.path)), CommandRoute(op)],
    proto,
    name,
    descriptor,
  ) as PropertyDescriptor | undefined;
  Object.defineProperty(proto, name, decorated ?? descriptor);
}
