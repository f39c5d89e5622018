import { z } from 'zod';
import type { PlacementRequest } from '../dtos/placement.dto.js';
import type { AuditService } from '../services/audit.service.js';
import type { PlacementService } from '../services/placement.service.js';
import { actorOf, requestedByOf } from '../services/principal.js';
import type { AuthenticatedRequest } from './auth.decorators.js';
import { outcomeOf, requestAuditRecord } from './request-audit.js';

// A placement as the replica that took the request states it: the body as the client sent it, the
// query, who asked, and the request's audit entry but for its status. The replica deciding it (the
// lease holder, PlacementRouter) may be another; this is what passes between them.
export const PlacementCallSchema = z.strictObject({
  body: z.unknown(),
  dryRun: z.boolean(),
  wait: z.number().int().min(0).max(120),
  deadlineSeconds: z.number().int().positive().nullable(),
  requestedBy: z.string().max(512).nullable(),
  audit: z.strictObject({
    actor: z.strictObject({ actor: z.string().max(512), actorId: z.string().max(512).nullable() }),
    action: z.string().max(512),
    targetKind: z.string().max(64).nullable(),
    targetId: z.string().max(512).nullable(),
    remoteAddr: z.string().max(128).nullable(),
  }),
});
export type PlacementCall = z.infer<typeof PlacementCallSchema>;

export function placementCallOf(
  req: AuthenticatedRequest,
  query: { dryRun?: boolean; wait: number; deadline?: number },
  body: unknown,
): PlacementCall {
  const record = requestAuditRecord(req, undefined, 0, undefined);
  return {
    body,
    dryRun: query.dryRun ?? false,
    wait: query.wait,
    deadlineSeconds: query.deadline ?? null,
    requestedBy: requestedByOf(req.principal),
    audit: {
      actor: actorOf(req.principal),
      action: record.action,
      targetKind: record.targetKind ?? null,
      targetId: record.targetId ?? null,
      remoteAddr: record.remoteAddr ?? null,
    },
  };
}

// Decides a placement on this replica (`request` is the call's body parsed); its audit entry, with
// the status it answers with, is written in the statement that writes the placement.
export function placeHere(
  call: PlacementCall,
  request: PlacementRequest,
  placements: PlacementService,
  audit: AuditService,
) {
  return placements.place(request, {
    dryRun: call.dryRun,
    request: {
      wait: call.wait,
      deadlineSeconds: call.deadlineSeconds ?? request.deadlineSeconds ?? null,
      idempotencyKey: null,
      requestedBy: call.requestedBy,
    },
    audit: (statusCode) => audit.entryOf({ ...call.audit, statusCode, outcome: outcomeOf(statusCode) }),
  });
}
