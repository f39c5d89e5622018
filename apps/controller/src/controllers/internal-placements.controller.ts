import { Body, Controller, HttpCode, Post, Req } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { INTERNAL_PLACEMENTS_PATH } from '../cluster/placement-router.js';
import { ReplicaSecret } from '../cluster/replica-secret.service.js';
import { PlacementRequestSchema } from '../dtos/placement.dto.js';
import { AuditService } from '../services/audit.service.js';
import { UnauthorizedError } from '../services/errors.js';
import { PlacementService } from '../services/placement.service.js';
import { type AuthenticatedRequest, Public } from './auth.decorators.js';
import { parseBody } from './body.parser.js';
import { PlacementCallSchema, placeHere } from './placement-call.js';
import { AuditedByCaller } from './request-audit.js';

// Where another replica passes the placements asked of it to the replica holding the lease
// (PlacementRouter): authenticated by the replica secret, not a user's token (the caller has
// authenticated the user and writes the request's audit entry for failures; its entry for a
// decision goes with the placement's rows, as on the replica that took the request).
@ApiExcludeController()
@Controller()
export class InternalPlacementsController {
  constructor(
    private readonly secret: ReplicaSecret,
    private readonly placements: PlacementService,
    private readonly audit: AuditService,
  ) {}

  @Post(INTERNAL_PLACEMENTS_PATH.slice(1))
  @Public()
  @AuditedByCaller()
  @HttpCode(200)
  async place(@Body() body: unknown, @Req() req: AuthenticatedRequest) {
    if (!this.secret.matches(req.headers.authorization)) {
      throw new UnauthorizedError('internal routes take the replica secret');
    }
    const call = parseBody(PlacementCallSchema, body);
    const request = parseBody(PlacementRequestSchema, call.body);
    return placeHere(call, request, this.placements, this.audit);
  }
}
