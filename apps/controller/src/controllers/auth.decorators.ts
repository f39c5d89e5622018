import { applyDecorators, createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';
import type { Role } from '../dtos/auth.dto.js';
import type { Principal } from '../services/principal.js';

export const ACCESS = 'corral:access';

// Who may call a route. Without this metadata: viewer for GET and HEAD, operator for anything else.
export type Access = { public: true } | { role: Role; agents?: boolean };

// OpenAPI carries the access rule too (x-corral-access), so the document's security and its
// 401/403 answers are derived from the same decorator the guard reads (see openapi.ts).
const access = (rule: Access) => applyDecorators(SetMetadata(ACCESS, rule), ApiExtension('x-corral-access', rule));

// No credential needed (health, readiness, enrollment).
export const Public = () => access({ public: true });

export const RequireRole = (role: Role) => access({ role });

export const AdminOnly = () => RequireRole('admin');

// An agent credential is accepted too (the agent fetching an upload), besides tokens with `role`.
export const AllowAgents = (role: Role) => access({ role, agents: true });

export interface AuthenticatedRequest {
  method: string;
  headers: Record<string, string | string[] | undefined>;
  params?: Record<string, string>;
  route?: { path?: string };
  path?: string;
  ip?: string;
  socket?: { remoteAddress?: string };
  principal?: Principal;
}

// The principal the guard established for this request.
export const CurrentPrincipal = createParamDecorator(
  (_: unknown, ctx: ExecutionContext): Principal | undefined =>
    ctx.switchToHttp().getRequest<AuthenticatedRequest>().principal,
);
