import { type CallHandler, type ExecutionContext, HttpStatus, Injectable, type NestInterceptor } from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants.js';
import { Reflector } from '@nestjs/core';
import { from, mergeMap, Observable } from 'rxjs';
import { AuditService } from '../services/audit.service.js';
import type { AuthenticatedRequest } from './auth.decorators.js';
import { COMMAND_OP } from './command-route.decorators.js';
import { toErrorReply } from './http-exception.filter.js';
import { outcomeOf, remoteAddr, routePattern, routeTarget, SAFE_METHODS } from './request-audit.js';

interface StatusReply {
  statusCode: number;
}

// Records every state-changing API call with its outcome before the answer leaves, so the audit
// log never misses a change that a client saw succeed.
@Injectable()
export class AuditInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly audit: AuditService,
  ) {}

  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (ctx.getType() !== 'http') return next.handle();
    const req = ctx.switchToHttp().getRequest<AuthenticatedRequest>();
    if (SAFE_METHODS.has(req.method)) return next.handle();
    const res = ctx.switchToHttp().getResponse<StatusReply>();
    const op = this.reflector.get<string | undefined>(COMMAND_OP, ctx.getHandler());
    const declared = this.reflector.get<number | undefined>(HTTP_CODE_METADATA, ctx.getHandler());
    const record = (statusCode: number, result: unknown) => {
      const target = routeTarget(req);
      const created = createdTarget(result);
      const commandId = op ? created?.id : undefined;
      const useCreated = !op && !target.targetId && created;
      return this.audit.record({
        principal: req.principal,
        action: `${req.method} ${routePattern(req)}${op ? ` ${op}` : ''}`,
        targetKind: useCreated ? (created.kind ?? target.targetKind) : target.targetKind,
        targetId: useCreated ? created.id : target.targetId,
        outcome: outcomeOf(statusCode),
        statusCode,
        detail: { ...(op ? { op } : {}), ...(commandId ? { commandId } : {}) },
        remoteAddr: remoteAddr(req),
      });
    };
    return new Observable((subscriber) =>
      next
        .handle()
        .pipe(
          mergeMap((value) => {
            // A route interceptor may have set the status already (202 for commands).
            const status =
              res.statusCode !== HttpStatus.OK ? res.statusCode : (declared ?? (req.method === 'POST' ? 201 : 200));
            return from(record(status, value).then(() => value));
          }),
        )
        .subscribe({
          next: (value) => subscriber.next(value),
          error: (err: unknown) => {
            void record(toErrorReply(err).status, undefined).finally(() => subscriber.error(err));
          },
          complete: () => subscriber.complete(),
        }),
    );
  }
}

// The id of what the call made or answered with (never any other field: it may hold a secret).
function createdTarget(result: unknown): { id: string; kind?: string } | undefined {
  if (typeof result !== 'object' || result === null) return undefined;
  const { id, hostId } = result as { id?: unknown; hostId?: unknown };
  if (typeof id === 'string') return { id };
  if (typeof hostId === 'string') return { id: hostId, kind: 'host' };
  return undefined;
}
