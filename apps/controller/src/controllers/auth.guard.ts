import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiTokenService } from '../services/api-token.service.js';
import { AuditService } from '../services/audit.service.js';
import { ForbiddenError, UnauthorizedError } from '../services/errors.js';
import { HostAccessService } from '../services/host-access.service.js';
import { hasRole } from '../services/principal.js';
import { RequestLimiter } from '../services/request-limits.js';
import { bearerToken, SECRET_PREFIX } from '../services/secrets.js';
import { WebSessionService } from '../services/web-session.service.js';
import { ACCESS, type Access, type AuthenticatedRequest } from './auth.decorators.js';
import { remoteAddr, routePattern, routeTarget, SAFE_METHODS } from './request-audit.js';

// Every HTTP route, including ones added later, needs a bearer token unless marked @Public():
// viewer to read, operator to change, admin where a route says so. Denials are audited.
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: ApiTokenService,
    private readonly hosts: HostAccessService,
    private readonly audit: AuditService,
    private readonly limits: RequestLimiter,
    private readonly sessions: WebSessionService,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    // The agent socket checks its credential in the upgrade (AgentGateway).
    if (ctx.getType() !== 'http') return true;
    const access = this.reflector.getAllAndOverride<Access | undefined>(ACCESS, [ctx.getHandler(), ctx.getClass()]);
    if (access && 'public' in access) return true;
    const req = ctx.switchToHttp().getRequest<AuthenticatedRequest>();
    const needed = access?.role ?? (SAFE_METHODS.has(req.method) ? 'viewer' : 'operator');
    const secret = bearerToken(req.headers.authorization);
    // Without a bearer token, the web page's session cookie (with its CSRF header) stands for one.
    const session = secret ? null : await this.sessions.authenticate(req);
    if (!secret && !session) return this.deny(req, 401, 'send an API token as "Authorization: Bearer <token>"');

    if (access?.agents && secret?.startsWith(SECRET_PREFIX.agent)) {
      const auth = await this.hosts.authenticate(secret);
      if (!auth) return this.deny(req, 401, 'invalid or revoked agent credential');
      req.principal = { kind: 'agent', ...auth };
      return true;
    }
    const check = session ?? (await this.tokens.authenticate(secret!));
    if (!check.ok) return this.deny(req, session?.ok === false ? session.status : 401, check.reason);
    req.principal = check.principal;
    if (!hasRole(check.principal, needed)) {
      const role = check.principal.kind === 'token' ? check.principal.role : check.principal.kind;
      return this.deny(req, 403, `this needs the ${needed} role; this token has ${role}`);
    }
    // 429 with Retry-After past the token's request rate.
    this.limits.admit(check.principal);
    return true;
  }

  private async deny(req: AuthenticatedRequest, status: 401 | 403, message: string): Promise<never> {
    await this.audit.recordDenied({
      principal: req.principal,
      action: `${req.method} ${routePattern(req)}`,
      ...routeTarget(req),
      outcome: 'denied',
      statusCode: status,
      detail: { reason: message },
      remoteAddr: remoteAddr(req),
    });
    throw status === 401 ? new UnauthorizedError(message) : new ForbiddenError(message);
  }
}
