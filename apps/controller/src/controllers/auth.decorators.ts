import { createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import type { Role } from '../dtos/auth.dto.js';
import type { Principal } from '../services/principal.js';

export const ACCESS = 'corral:access';

// Who may call a route. Without this metadata: viewer for GET and HEAD, operator for anything else.
export type Access = { public: true } | { role: Role; agents?: boolean };

// No credential needed (health, readiness, enrollment).
export const Public = () => SetMetadata(ACCESS, { public: true } satisfies Access);

export const RequireRole = (role: Role) => SetMetadata(ACCESS, { role } satisfies Access);

export const AdminOnly = () => RequireRole('admin');

// An agent credential is accepted too (the agent fetching an upload), besides tokens with `role`.
export const AllowAgents = (role: Role) => SetMetadata(ACCESS, { role, agents: true } satisfies Access);

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
