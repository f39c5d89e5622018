import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import { map, type Observable } from 'rxjs';
import { redactForViewer, viewOf } from '../services/command-redaction.js';
import type { AuthenticatedRequest } from './auth.decorators.js';

// Every answer to a viewer leaves out what only operators may see of commands (sensitive params,
// output, results carrying output), on every route, including ones added later that return commands.
@Injectable()
export class ViewerRedactionInterceptor implements NestInterceptor {
  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (ctx.getType() !== 'http') return next.handle();
    const req = ctx.switchToHttp().getRequest<AuthenticatedRequest>();
    if (viewOf(req.principal) === 'full') return next.handle();
    return next.handle().pipe(map((body) => redactForViewer(body)));
  }
}
