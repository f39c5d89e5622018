import { Controller, Get, Param } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiParam, ApiProduces, ApiTags } from '@nestjs/swagger';
import { schemaRef } from '../dtos/api-schemas.js';
import { IdParamSchema } from '../dtos/list-query.dto.js';
import type { Principal } from '../services/principal.js';
import { UploadService } from '../services/upload.service.js';
import { UploadAccessService } from '../services/upload-access.service.js';
import { AllowAgents, CurrentPrincipal } from './auth.decorators.js';
import { ZodValidationPipe } from './zod-validation.pipe.js';

// Where agents fetch the files that commands name by uploadId.
@ApiTags('images')
@Controller('api/v1/uploads')
export class UploadsController {
  constructor(
    private readonly uploads: UploadService,
    private readonly access: UploadAccessService,
  ) {}

  @Get(':id')
  // The agent of the host whose command names it fetches it with its own credential; any other is refused (403).
  @AllowAgents('admin')
  @ApiOperation({ summary: 'An uploaded image tarball, for the agent that imports it' })
  @ApiParam({
    name: 'id',
    description: 'uploadId of the image.import command (UUID)',
    schema: { type: 'string', format: 'uuid' },
  })
  @ApiProduces('application/x-tar')
  @ApiOkResponse({ description: 'the tarball', schema: { type: 'string', format: 'binary' } })
  @ApiNotFoundResponse({ description: 'no such upload, or its import already ended', schema: schemaRef('Error') })
  async get(
    @Param('id', new ZodValidationPipe(IdParamSchema)) uploadId: string,
    @CurrentPrincipal() principal: Principal | undefined,
  ) {
    await this.access.check(uploadId, principal);
    return this.uploads.open(uploadId);
  }
}
