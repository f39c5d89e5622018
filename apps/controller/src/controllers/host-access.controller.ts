import { Controller, Delete, HttpCode, Param, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HostAccessService } from '../services/host-access.service.js';
import { AdminOnly } from './auth.decorators.js';
import { ApiAdminRoute } from './auth-docs.decorators.js';
import { HostRef, REFERENCE_DESCRIPTIONS } from './resolve.pipe.js';

const HOST = {
  id: REFERENCE_DESCRIPTIONS.host,
  notFound: 'no host has this id or hostname',
  conflict: 'the reference fits several hosts; `candidates` lists them',
};

// Cutting a host off: its agent credential revoked and its connection closed at once.
@ApiTags('hosts')
@AdminOnly()
@Controller('api/v1/hosts')
export class HostAccessController {
  constructor(private readonly access: HostAccessService) {}

  @Post(':id/revoke')
  @HttpCode(200)
  @ApiAdminRoute(
    'Revoke the host agent credential and disconnect it now',
    { status: 200, description: 'what was revoked and closed', schema: 'HostRevoke' },
    undefined,
    HOST,
  )
  revoke(@Param('id', HostRef) hostId: string) {
    return this.access.revoke(hostId);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiAdminRoute(
    'Remove a host: revoke, disconnect, then delete it with its inventory and commands',
    { status: 204, description: 'removed' },
    undefined,
    HOST,
  )
  async remove(@Param('id', HostRef) hostId: string): Promise<void> {
    await this.access.remove(hostId);
  }
}
