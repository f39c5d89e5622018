import { Body, Controller, Get, Param, Post, Query, Req, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadGatewayResponse,
  ApiBadRequestResponse,
  ApiBody,
  ApiConflictResponse,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { PlacementRouter } from '../cluster/placement-router.js';
import { queryParamSchema, schemaRef } from '../dtos/api-schemas.js';
import { IdParamSchema } from '../dtos/list-query.dto.js';
import {
  type PlacementListQuery,
  PlacementListQuerySchema,
  PlacementQuerySchema,
  PlacementRequestSchema,
} from '../dtos/placement.dto.js';
import { AuditService } from '../services/audit.service.js';
import { MetricsService } from '../services/metrics.service.js';
import { type PlacementResult, PlacementService } from '../services/placement.service.js';
import { placementStatus } from '../services/placement-response.mapper.js';
import { ApiGetRoute, ApiListRoute, ApiZodQuery } from './api-docs.decorators.js';
import type { AuthenticatedRequest } from './auth.decorators.js';
import { parseBody } from './body.parser.js';
import { placeHere, placementCallOf } from './placement-call.js';
import { AuditedByRoute } from './request-audit.js';
import { ZodValidationPipe } from './zod-validation.pipe.js';

interface Reply {
  status(code: number): unknown;
  setHeader(name: string, value: string): unknown;
}

@ApiTags('placements')
@Controller('api/v1')
export class PlacementsController {
  constructor(
    private readonly placements: PlacementService,
    private readonly audit: AuditService,
    private readonly router: PlacementRouter,
    private readonly metrics: MetricsService,
  ) {}

  @Post('containers')
  @ApiOperation({
    summary: 'Place containers: the controller chooses the hosts',
    description:
      'Filters every host (requested hosts, online, not cordoned, runtime available, host facts known, label ' +
      'constraints, group anti-affinity, free memory and CPUs), scores the rest (spread or binpack) and issues ' +
      'one container.create per replica. The decision and its explanation are kept at /api/v1/placements/{id}.',
  })
  @ApiZodQuery(PlacementQuerySchema)
  @ApiBody({ schema: queryParamSchema(PlacementRequestSchema) })
  @ApiAcceptedResponse({ description: 'placed (every replica) or partial', schema: schemaRef('PlacementReply') })
  @ApiOkResponse({
    description: 'dryRun: the decision, nothing placed; at least one replica would be',
    schema: schemaRef('PlacementReply'),
  })
  @ApiConflictResponse({
    description: 'no replica placed (with dryRun: none would be): one reason per host',
    schema: schemaRef('PlacementRejection'),
  })
  @ApiBadRequestResponse({ description: 'a field is malformed; `field` names it', schema: schemaRef('Error') })
  @ApiBadGatewayResponse({
    description:
      'the replica that decides placements (another one) failed while deciding this one: it may have been placed',
    schema: schemaRef('Error'),
  })
  @ApiServiceUnavailableResponse({
    description: 'no replica could decide it (the deciding replica is being replaced); nothing was placed',
    schema: schemaRef('Error'),
  })
  // Decided by the replica holding the lease, here or passed to it (PlacementRouter).
  // Its audit entry is written in the statement that writes the placement (failures by the interceptor).
  @AuditedByRoute()
  async place(
    @Query(new ZodValidationPipe(PlacementQuerySchema)) query: { dryRun?: boolean; wait: number; deadline?: number },
    @Body() body: unknown,
    @Req() req: AuthenticatedRequest,
    @Res({ passthrough: true }) res: Reply,
  ) {
    // A body that is wrong is answered here, before it goes anywhere.
    const request = parseBody(PlacementRequestSchema, body);
    const call = placementCallOf(req, query, body);
    const started = performance.now();
    let decided: 'here' | 'holder' = 'holder';
    let outcome: string = 'error';
    try {
      const passed = await this.router.elsewhere(call);
      if (!passed) decided = 'here';
      const result = passed ?? (await placeHere(call, request, this.placements, this.audit));
      outcome = result.outcome;
      return this.answer(result, res);
    } finally {
      this.metrics.placementAnswered(decided, outcome, (performance.now() - started) / 1000);
    }
  }

  private answer({ outcome, placement }: PlacementResult, res: Reply) {
    const wouldFitNowhere = outcome === 'dry_run' && placement.hostIds.length === 0;
    res.status(placementStatus(outcome, placement.hostIds.length));
    res.setHeader('Location', placement.url);
    if (outcome !== 'rejected' && !wouldFitNowhere) return { placement };
    const { summary, reasons } = placement.explanation;
    const what = wouldFitNowhere ? 'no container would be placed' : 'no container placed';
    return { error: 'conflict', message: `${what}: ${summary}`, reasons, placement };
  }

  @Get('placements')
  @ApiListRoute('Placement decisions, newest first', 'PlacementPage', PlacementListQuerySchema)
  list(@Query(new ZodValidationPipe(PlacementListQuerySchema)) query: PlacementListQuery) {
    return this.placements.list(query);
  }

  @Get('placements/:id')
  @ApiGetRoute('One placement decision with its explanation and commands', 'Placement')
  get(@Param('id', new ZodValidationPipe(IdParamSchema)) id: string) {
    return this.placements.get(id);
  }
}
