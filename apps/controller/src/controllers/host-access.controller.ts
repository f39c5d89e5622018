import { Controller, Delete, HttpCode, Param, Post } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HostAccessService } from '../services/host-access.service.js';
import { AdminOnly } from './auth.decorators.js';
import { ApiAdminRoute } from './auth-docs.decorators.js';
import { HostRef } from './resolve.pipe.js';

// Cutting a host off: its agent credential revoked and its connection closed at once.
@ApiTags('hosts')
@AdminOnly()
@Controller('api/v1/hosts')
export class HostAccessController {
  constructor(private readonly access: HostAccessService) {}

  @Post(':id/revoke')
  @HttpCode(200)
  @ApiAdminRoute('Revoke the host agent credential and disconnect it now', { status: 200, schema: 'HostRevoke' })
  revoke(@Param('id', HostRef) hostId: string) {
    return this.access.revoke(hostId);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiAdminRoute('Remove a host: revoke, disconnect, then delete it with its inventory and commands', { status: 204 })
  async remove(@Param('id', HostRef) hostId: string): Promise<void> {
    await this.access.remove(hostId);
  }
}
