import type { ServerResponse } from 'node:http';
import { Controller, Get, Headers, Query, Res } from '@nestjs/common';
import { ApiBadRequestResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { schemaRef } from '../dtos/api-schemas.js';
import { EventIdSchema, type EventStreamQuery, EventStreamQuerySchema } from '../dtos/event.dto.js';
import type { CorralEvent } from '../services/event-bus.js';
import { type EventSink, EventStreamService } from '../services/event-stream.service.js';
import { ApiZodQuery } from './api-docs.decorators.js';
import { ZodValidationPipe } from './zod-validation.pipe.js';

// Past this much unsent output the client is too slow; it is disconnected and resumes with Last-Event-ID.
const MAX_PENDING_BYTES = 4 * 1024 * 1024;

const frame = (id: number, type: string, data: unknown) =>
  `id: ${id}\nevent: ${type}\ndata: ${JSON.stringify(data)}\n\n`;

const headerPipe = new ZodValidationPipe(EventIdSchema.optional());

function sseSink(res: ServerResponse): EventSink {
  return {
    event: (e: CorralEvent) => {
      res.write(frame(e.id, e.type, e));
      return res.writableLength <= MAX_PENDING_BYTES;
    },
    reset: (notice) => void res.write(frame(notice.resumeFrom, 'reset', notice)),
    comment: (text) => void res.write(`: ${text}\n\n`),
    end: () => res.end(),
  };
}

@ApiTags('events')
@Controller('api/v1/events')
export class EventsController {
  constructor(private readonly streams: EventStreamService) {}

  @Get()
  @ApiOperation({
    summary: 'Stream inventory, host and command events (Server-Sent Events)',
    description:
      'Each event is `id:` (send it back as Last-Event-ID to resume), `event:` (its type) and `data:` (the ' +
      'event as JSON). Without Last-Event-ID the stream starts with live events. When the events after the given ' +
      'id are no longer kept, the stream first sends a `reset` event: list the inventory again, then carry on. ' +
      'A comment line is sent every 15 s to keep proxies from closing an idle stream.',
  })
  @ApiZodQuery(EventStreamQuerySchema)
  @ApiHeader({ name: 'Last-Event-ID', required: false, description: 'resume after this event id' })
  @ApiProduces('text/event-stream')
  @ApiOkResponse({
    description: 'an endless text/event-stream; each data line is one Event',
    schema: schemaRef('Event'),
  })
  @ApiBadRequestResponse({
    description: 'a parameter is malformed or unknown; `field` names it',
    schema: schemaRef('Error'),
  })
  stream(
    @Query(new ZodValidationPipe(EventStreamQuerySchema)) query: EventStreamQuery,
    @Headers('last-event-id') lastEventIdHeader: string | undefined,
    @Res() res: ServerResponse,
  ): void {
    const lastEventId = headerPipe.transform(lastEventIdHeader, { type: 'custom', data: 'Last-Event-ID' });
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.flushHeaders();
    const close = this.streams.start(
      sseSink(res),
      { hostId: query.host, kinds: query.kind, types: query.type },
      lastEventId ?? query.lastEventId ?? null,
    );
    res.on('close', close);
  }
}
