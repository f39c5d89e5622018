import { Injectable } from '@nestjs/common';
import { UploadOwnerRepository } from '../repositories/upload-owner.repository.js';
import { AuditService } from './audit.service.js';
import { ForbiddenError, NotFoundError } from './errors.js';
import type { Principal } from './principal.js';

// An uploaded file goes only to the agent of the host its command targets: not to other
// hosts' agents, and not to API tokens.
@Injectable()
export class UploadAccessService {
  constructor(
    private readonly owners: UploadOwnerRepository,
    private readonly audit: AuditService,
  ) {}

  async check(uploadId: string, principal: Principal | undefined): Promise<void> {
    if (principal?.kind !== 'agent') {
      await this.deny(uploadId, principal, 'uploads are served only to the agent of the host that imports them');
    }
    const hostId = await this.owners.hostOf(uploadId);
    if (!hostId) throw new NotFoundError(`no upload with id ${uploadId}`);
    if (principal?.kind === 'agent' && hostId !== principal.hostId) {
      await this.deny(uploadId, principal, `upload ${uploadId} is for another host's import`);
    }
  }

  private async deny(uploadId: string, principal: Principal | undefined, reason: string): Promise<never> {
    await this.audit.recordDenied({
      principal,
      action: 'GET /api/v1/uploads/:id',
      targetKind: 'upload',
      targetId: uploadId,
      outcome: 'denied',
      statusCode: 403,
      detail: { reason },
    });
    throw new ForbiddenError(reason);
  }
}
