import { Controller, Get, Param } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiParam, ApiProduces, ApiTags } from '@nestjs/swagger';
import { schemaRef } from '../dtos/api-schemas.js';
import { IdParamSchema } from '../dtos/list-query.dto.js';
import { UploadService } from '../services/upload.service.js';
import { AllowAgents } from './auth.decorators.js';
import { ZodValidationPipe } from './zod-validation.pipe.js';

// Where agents fetch the files that commands name by uploadId.
@ApiTags('images')
@Controller('api/v1/uploads')
export class UploadsController {
  constructor(private readonly uploads: UploadService) {}

  @Get(':id')
  // The importing agent fetches it with its own credential.
  @AllowAgents('operator')
  @ApiOperation({ summary: 'An uploaded image tarball, for the agent that imports it' })
  @ApiParam({ name: 'id', description: 'uploadId of the image.import command', schema: { type: 'string' } })
  @ApiProduces('application/x-tar')
  @ApiOkResponse({ description: 'the tarball', schema: { type: 'string', format: 'binary' } })
  @ApiNotFoundResponse({ description: 'no such upload, or its import already ended', schema: schemaRef('Error') })
  get(@Param('id', new ZodValidationPipe(IdParamSchema)) uploadId: string) {
    return this.uploads.open(uploadId);
  }
}
