import { Body, Controller, Param, Put } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HostRenameSchema } from '../dtos/host-identity.dto.js';
import { HostIdentityService } from '../services/host-identity.service.js';
import { AdminOnly } from './auth.decorators.js';
import { ApiAdminRoute } from './auth-docs.decorators.js';
import { parseBody } from './body.parser.js';
import { HostRef, REFERENCE_DESCRIPTIONS } from './resolve.pipe.js';

// Renaming a host is an admin's decision (or a takeover enrollment's), never its agent's.
@ApiTags('hosts')
@AdminOnly()
@Controller('api/v1/hosts')
export class HostIdentityController {
  constructor(private readonly identity: HostIdentityService) {}

  @Put(':id/hostname')
  @ApiAdminRoute(
    "Rename a host; its agent's hello must carry the new name from then on",
    { status: 200, description: 'the new name and the one before', schema: 'HostRenamed' },
    HostRenameSchema,
    {
      id: REFERENCE_DESCRIPTIONS.host,
      notFound: 'no host has this id or hostname',
      conflict: 'another host has the new name (`message` names it), or the reference fits several hosts',
    },
  )
  rename(@Param('id', HostRef) hostId: string, @Body() body: unknown) {
    return this.identity.rename(hostId, parseBody(HostRenameSchema, body).hostname);
  }
}
