import type { IncomingMessage } from 'node:http';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Controller, Get, HttpCode, Logger, Param, Put, Req, Res } from '@nestjs/common';
import {
  ApiBadGatewayResponse,
  ApiConflictResponse,
  ApiConsumes,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import { ReplicaForwarder } from '../cluster/replica-forwarder.js';
import { ReplicaLocator } from '../cluster/replica-locator.js';
import { schemaRef } from '../dtos/api-schemas.js';
import { IdParamSchema } from '../dtos/list-query.dto.js';
import { ImageTransferService } from '../services/image-transfer.service.js';
import type { Principal } from '../services/principal.js';
import { UploadService } from '../services/upload.service.js';
import { UploadAccessService } from '../services/upload-access.service.js';
import { AllowAgents, CurrentPrincipal } from './auth.decorators.js';
import { ZodValidationPipe } from './zod-validation.pipe.js';

type RawResponse = Writable & {
  headersSent: boolean;
  status(code: number): unknown;
  setHeader(name: string, value: string | number): unknown;
};

// Where agents fetch the files that commands name by uploadId: an uploaded file, or an image
// archive relayed from another host's save as it arrives (a copy). Source agents PUT those here.
@ApiTags('images')
@Controller('api/v1/uploads')
export class UploadsController {
  private readonly logger = new Logger(UploadsController.name);

  constructor(
    private readonly uploads: UploadService,
    private readonly access: UploadAccessService,
    private readonly transfers: ImageTransferService,
    private readonly locator: ReplicaLocator,
    private readonly forwarder: ReplicaForwarder,
  ) {}

  @Get(':id')
  // The agent of the host whose command names it fetches it with its own credential; any other is refused (403).
  @AllowAgents('admin')
  @ApiOperation({ summary: 'An uploaded image archive or tarball, or a relayed copy, for the agent that loads it' })
  @ApiParam({
    name: 'id',
    description: 'uploadId of the image.import, image.load or image.copy command (UUID)',
    schema: { type: 'string', format: 'uuid' },
  })
  @ApiProduces('application/x-tar')
  @ApiOkResponse({ description: 'the tarball', schema: { type: 'string', format: 'binary' } })
  @ApiNotFoundResponse({ description: 'no such upload, or its command already ended', schema: schemaRef('Error') })
  @ApiConflictResponse({ description: 'the relayed copy is already being read', schema: schemaRef('Error') })
  @ApiBadGatewayResponse({
    description: 'the source host of a copy failed to save the image',
    schema: schemaRef('Error'),
  })
  async get(
    @Param('id', new ZodValidationPipe(IdParamSchema)) uploadId: string,
    @CurrentPrincipal() principal: Principal | undefined,
    @Req() req: IncomingMessage & Readable,
    @Res() res: RawResponse,
  ): Promise<void> {
    await this.access.check(uploadId, principal);
    if (this.transfers.has(uploadId)) {
      await sendStream(res, this.logger, (open) => this.transfers.read(uploadId, open));
      return;
    }
    // Uploaded to, or read by a client of, another replica: that one answers.
    if (!(await this.uploads.isHere(uploadId)) && (await this.forwardToHolder(uploadId, req, res))) return;
    const file = await this.uploads.open(uploadId);
    const { type, length } = file.options;
    await sendStream(
      res,
      this.logger,
      (open) => {
        const sink = open();
        if (length !== undefined) res.setHeader('content-length', length);
        return pipeline(file.getStream(), sink);
      },
      type,
    );
  }

  @Put(':id')
  @HttpCode(204)
  // Only the agent of the host holding the image (the transfer checks which) sends its archive.
  @AllowAgents('admin')
  @ApiOperation({ summary: "An image archive from its host's `docker save`, relayed to whoever reads the transfer" })
  @ApiParam({ name: 'id', description: 'transferId of the image.save command', schema: { type: 'string' } })
  @ApiConsumes('application/x-tar')
  @ApiNoContentResponse({ description: 'the reader took the whole archive' })
  @ApiForbiddenResponse({ description: "not the agent of the image's host", schema: schemaRef('Error') })
  @ApiNotFoundResponse({ description: 'no such transfer (it ended, or nobody reads it)', schema: schemaRef('Error') })
  @ApiConflictResponse({ description: 'the transfer already has its archive', schema: schemaRef('Error') })
  @ApiBadGatewayResponse({ description: 'the reader went away before the end', schema: schemaRef('Error') })
  async put(
    @Param('id', new ZodValidationPipe(IdParamSchema)) transferId: string,
    @CurrentPrincipal() principal: Principal | undefined,
    @Req() req: IncomingMessage & Readable,
    @Res() res: RawResponse,
  ): Promise<void> {
    // The reader waits on another replica: the archive goes there.
    if (!this.transfers.has(transferId) && (await this.forwardToHolder(transferId, req, res))) return;
    await this.transfers.receive(transferId, principal, req);
    res.status(204);
    res.end();
  }

  // Whether another live replica holds `id` and answered the request in this one's place.
  private async forwardToHolder(id: string, req: IncomingMessage & Readable, res: RawResponse): Promise<boolean> {
    if (ReplicaForwarder.forwarded(req)) return false;
    const holder = await this.locator.holderOf(id);
    if (!holder) return false;
    await this.forwarder.forward(holder, req, res);
    return true;
  }
}

// Answers with a stream: errors before the first byte are the API's JSON errors (thrown on to the
// exception filter); after that the only way to say it is to cut the connection.
async function sendStream(
  res: RawResponse,
  logger: Logger,
  run: (open: () => Writable) => Promise<void>,
  type = 'application/x-tar',
): Promise<void> {
  let opened = false;
  try {
    await run(() => {
      opened = true;
      res.status(200);
      res.setHeader('content-type', type);
      return res;
    });
  } catch (err) {
    if (!opened && !res.headersSent) throw err;
    logger.warn(`a streamed answer broke off: ${(err as Error).message}`);
    res.destroy();
  }
}
