import type { Writable } from 'node:stream';
import { opSpec } from '@corral/protocol';
import { Body, Controller, Get, HttpCode, Logger, Param, Post, Req, Res, SetMetadata } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadGatewayResponse,
  ApiBadRequestResponse,
  ApiBody,
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiProduces,
  ApiTags,
  ApiUnprocessableEntityResponse,
  ApiUnsupportedMediaTypeResponse,
} from '@nestjs/swagger';
import { queryParamSchema, schemaRef } from '../dtos/api-schemas.js';
import { type ImageCopyBody, ImageCopyBodySchema } from '../dtos/image-transfer.dto.js';
import { AuditService } from '../services/audit.service.js';
import { ImageCopyService } from '../services/image-copy.service.js';
import type { Principal } from '../services/principal.js';
import { type AuthenticatedRequest, CurrentPrincipal, RequireRole } from './auth.decorators.js';
import { COMMAND_OP } from './command-route.decorators.js';
import { toErrorReply } from './http-exception.filter.js';
import { outcomeOf, remoteAddr } from './request-audit.js';
import { ImageRef } from './resolve.pipe.js';
import { ZodValidationPipe } from './zod-validation.pipe.js';

type RawResponse = Writable & {
  headersSent: boolean;
  status(code: number): unknown;
  setHeader(name: string, value: string): unknown;
};

const IMAGE_PARAM = opSpec('image.save').route.pathParams.id!;

// Image archives through the controller: a save streamed to the client, and copies host to host.
@ApiTags('images')
@Controller('api/v1/images')
export class ImageTransferController {
  private readonly logger = new Logger(ImageTransferController.name);

  constructor(
    private readonly copies: ImageCopyService,
    private readonly audit: AuditService,
  ) {}

  @Get(':id/save')
  @SetMetadata(COMMAND_OP, 'image.save')
  @RequireRole('operator')
  @ApiOperation({
    operationId: 'image.save',
    summary: "Download an image as a `docker save` archive, streamed from its host's engine",
    description:
      "Issues an `image.save` command on the image's host and streams its archive through the controller (nothing is kept there). `POST /hosts/{host}/images/load` takes the archive back, with tags and id. Needs the operator role.",
  })
  @ApiParam({ name: 'id', description: IMAGE_PARAM, schema: { type: 'string', minLength: 1, maxLength: 512 } })
  @ApiProduces('application/x-tar')
  @ApiOkResponse({ description: 'the archive (docker save format)', schema: { type: 'string', format: 'binary' } })
  @ApiBadRequestResponse({ description: 'the reference holds control characters', schema: schemaRef('Error') })
  @ApiNotFoundResponse({
    description: 'nothing has this id or name, or the engine no longer has the image',
    schema: schemaRef('Error'),
  })
  @ApiConflictResponse({
    description: 'the name fits several images; `candidates` lists them',
    schema: schemaRef('Error'),
  })
  @ApiUnprocessableEntityResponse({ description: 'the host reports no Docker runtime', schema: schemaRef('Error') })
  @ApiBadGatewayResponse({
    description: 'the host failed to save the image or did not start sending it within 120 s',
    schema: schemaRef('Error'),
  })
  async save(
    @Param('id', ImageRef) id: string,
    @CurrentPrincipal() principal: Principal | undefined,
    @Req() req: AuthenticatedRequest,
    @Res() res: RawResponse,
  ): Promise<void> {
    let opened = false;
    // A GET the audit interceptor leaves out, but an image leaving the fleet is worth a line.
    const audit = (statusCode: number, outcome: string) =>
      this.audit
        .record({
          principal,
          action: 'GET /api/v1/images/:id/save image.save',
          targetKind: 'image',
          targetId: id,
          outcome,
          statusCode,
          detail: { op: 'image.save' },
          remoteAddr: remoteAddr(req),
        })
        .catch((err: Error) => this.logger.warn(`could not audit the save of image ${id}: ${err.message}`));
    try {
      await this.copies.save(id, principal, () => {
        opened = true;
        res.status(200);
        res.setHeader('content-type', 'application/x-tar');
        return res;
      });
      await audit(200, 'ok');
    } catch (err) {
      // Before the first byte the error is the API's JSON answer; after it, a cut connection.
      if (!opened && !res.headersSent) {
        const status = toErrorReply(err).status;
        await audit(status, outcomeOf(status));
        throw err;
      }
      await audit(200, 'broken off');
      this.logger.warn(`the save of image ${id} broke off: ${(err as Error).message}`);
      res.destroy();
    }
  }

  @Post(':id/copy')
  @SetMetadata(COMMAND_OP, 'image.copy')
  @HttpCode(202)
  @RequireRole('operator')
  @ApiOperation({
    operationId: 'image.copy',
    summary: 'Copy an image from its host to other hosts through the controller, without a registry',
    description:
      "One `image.copy` command per destination: its agent loads the archive the source host saves, streamed through the controller with backpressure (tags, layers and image id kept; the origin records where it came from). Progress lines are in each command's output. Needs the operator role.",
  })
  @ApiParam({ name: 'id', description: IMAGE_PARAM, schema: { type: 'string', minLength: 1, maxLength: 512 } })
  @ApiBody({ description: 'where to copy it', schema: queryParamSchema(ImageCopyBodySchema) })
  @ApiAcceptedResponse({ description: 'the copy commands, one per destination', schema: schemaRef('ImageCopyReply') })
  @ApiBadRequestResponse({
    description: 'a field is malformed or unknown, or a destination is named twice; `field` names it',
    schema: schemaRef('Error'),
  })
  @ApiNotFoundResponse({ description: 'no such image or destination host', schema: schemaRef('Error') })
  @ApiConflictResponse({ description: 'a name fits several rows; `candidates` lists them', schema: schemaRef('Error') })
  @ApiUnsupportedMediaTypeResponse({ description: 'a body that is not application/json', schema: schemaRef('Error') })
  @ApiUnprocessableEntityResponse({
    description: "a destination is the image's own host, or reports no Docker runtime",
    schema: schemaRef('Error'),
  })
  copy(
    @Param('id', ImageRef) id: string,
    @Body(new ZodValidationPipe(ImageCopyBodySchema)) body: ImageCopyBody,
    @CurrentPrincipal() principal: Principal | undefined,
  ) {
    return this.copies.copy(id, body, principal);
  }
}
