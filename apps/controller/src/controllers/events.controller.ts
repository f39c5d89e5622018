import type { ServerResponse } from 'node:http';
import { Controller, Get, Headers, Inject, Query, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import type { Config } from '../config/config.js';
import { schemaRef } from '../dtos/api-schemas.js';
import { EventIdSchema, type EventStreamQuery, EventStreamQuerySchema } from '../dtos/event.dto.js';
import { CONFIG } from '../repositories/tokens.js';
import { viewOf } from '../services/command-redaction.js';
import { EventStreamService } from '../services/event-stream.service.js';
import type { Principal } from '../services/principal.js';
import { StreamAccessService } from '../services/stream-access.service.js';
import { ApiZodQuery } from './api-docs.decorators.js';
import { CurrentPrincipal } from './auth.decorators.js';
import { SseSink } from './sse-sink.js';
import { ZodValidationPipe } from './zod-validation.pipe.js';

const headerPipe = new ZodValidationPipe(EventIdSchema.optional());

@ApiTags('events')
@Controller('api/v1/events')
export class EventsController {
  constructor(
    @Inject(CONFIG) private readonly config: Config,
    private readonly streams: EventStreamService,
    private readonly access: StreamAccessService,
  ) {}

  @Get()
  @ApiOperation({
    summary: 'Stream inventory, host and command events (Server-Sent Events)',
    description:
      'Each event is `id:` (send it back as Last-Event-ID to resume), `event:` (its type) and `data:` (the ' +
      'event as JSON). Every controller replica streams the events of the whole fleet, in the same order and with ' +
      'the same ids, so a stream resumes on any replica. Without Last-Event-ID the stream starts with live events. ' +
      'When the events after the given id are no longer kept (CORRAL_EVENT_RETENTION_S, _EVENTS), the stream first ' +
      'sends a `reset` event: list the inventory again, then carry on. ' +
      'A comment line is sent every 15 s to keep proxies from closing an idle stream. Viewers get command events ' +
      'without sensitive params and no command-output. A client more than CORRAL_SSE_BUFFER_BYTES behind is cut off; ' +
      'when its token is revoked or expires the stream ends with a `closed` event giving the reason.',
  })
  @ApiZodQuery(EventStreamQuerySchema)
  @ApiHeader({
    name: 'Last-Event-ID',
    required: false,
    description: 'resume after this event id (the `id:` of the last event received)',
    schema: { type: 'string', pattern: '^\\d{1,16}$' },
  })
  @ApiProduces('text/event-stream')
  @ApiOkResponse({
    description: 'an endless text/event-stream; each data line is one Event',
    schema: schemaRef('Event'),
  })
  @ApiBadRequestResponse({
    description: 'a parameter is malformed or unknown; `field` names it',
    schema: schemaRef('Error'),
  })
  @ApiTooManyRequestsResponse({
    description:
      'the token already holds all the streams it may (CORRAL_STREAMS_PER_TOKEN, default 16), or is past its request rate; try again after Retry-After seconds',
    schema: schemaRef('Error'),
  })
  stream(
    @Query(new ZodValidationPipe(EventStreamQuerySchema)) query: EventStreamQuery,
    @Headers('last-event-id') lastEventIdHeader: string | undefined,
    @CurrentPrincipal() principal: Principal | undefined,
    @Res() res: ServerResponse,
  ): void {
    const lastEventId = headerPipe.transform(lastEventIdHeader, { type: 'custom', data: 'Last-Event-ID' });
    const sink = new SseSink(res, viewOf(principal), this.config.sseBufferBytes);
    // 429 past the token's stream limit; the stream ends with a reason once the token no longer holds.
    const release = this.access.open(principal, (reason) => sink.closeWith(reason));
    // The body ends with the connection: no chunk framing around every event of a long stream.
    res.useChunkedEncodingByDefault = false;
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'close',
      'X-Accel-Buffering': 'no',
    });
    res.flushHeaders();
    const close = this.streams.start(
      sink,
      { hostId: query.host, kinds: query.kind, types: query.type },
      lastEventId ?? query.lastEventId ?? null,
    );
    res.on('close', () => {
      release();
      close();
    });
  }
}
