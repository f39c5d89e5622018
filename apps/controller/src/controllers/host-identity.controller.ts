import { Body, Controller, Param, Put } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HostRenameSchema } from '../dtos/host-identity.dto.js';
import { IdParamSchema } from '../dtos/list-query.dto.js';
import { HostIdentityService } from '../services/host-identity.service.js';
import { AdminOnly } from './auth.decorators.js';
import { ApiAdminRoute } from './auth-docs.decorators.js';
import { parseBody } from './body.parser.js';
import { ZodValidationPipe } from './zod-validation.pipe.js';

// Renaming a host is an admin's decision (or a takeover enrollment's), never its agent's.
@ApiTags('hosts')
@AdminOnly()
@Controller('api/v1/hosts')
export class HostIdentityController {
  constructor(private readonly identity: HostIdentityService) {}

  @Put(':id/hostname')
  @ApiAdminRoute(
    "Rename a host; its agent's hello must carry the new name from then on",
    { status: 200, schema: 'HostRenamed' },
    HostRenameSchema,
  )
  rename(@Param('id', new ZodValidationPipe(IdParamSchema)) hostId: string, @Body() body: unknown) {
    return this.identity.rename(hostId, parseBody(HostRenameSchema, body).hostname);
  }
}
