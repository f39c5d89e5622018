import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { from, mergeMap, Observable, of } from 'rxjs';
import { AuditService } from '../services/audit.service.js';
import type { AuthenticatedRequest } from './auth.decorators.js';
import { COMMAND_OP } from './command-route.decorators.js';
import { toErrorReply } from './http-exception.filter.js';
import {
  AUDITED_BY_CALLER,
  AUDITED_BY_ROUTE,
  auditWritten,
  requestAuditRecord,
  SAFE_METHODS,
} from './request-audit.js';

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
    if (this.reflector.get<boolean | undefined>(AUDITED_BY_CALLER, ctx.getHandler()) === true) return next.handle();
    const res = ctx.switchToHttp().getResponse<StatusReply>();
    const op = this.reflector.get<string | undefined>(COMMAND_OP, ctx.getHandler());
    const byRoute = this.reflector.get<boolean | undefined>(AUDITED_BY_ROUTE, ctx.getHandler()) === true;
    const record = (statusCode: number, result: unknown) =>
      this.audit.record(requestAuditRecord(req, op, statusCode, result));
    return new Observable((subscriber) =>
      next
        .handle()
        .pipe(
          mergeMap((value) => {
            // Nest sets the route's status (its @HttpCode, else 201 for POST) before the interceptors
            // run, and a route or its interceptor may change it (202 or 200 for commands): what the
            // response holds now is what the client gets. (Taking 200 for "not set" wrote 201 for an
            // Idempotency-Key retry answered 200.)
            const status = res.statusCode;
            // The route wrote its entry with its own rows, before answering.
            if (byRoute || auditWritten(req)) return of(value);
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
