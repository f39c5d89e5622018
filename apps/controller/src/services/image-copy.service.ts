import type { Writable } from 'node:stream';
import { Inject, Injectable } from '@nestjs/common';
import { DEFAULT_DEADLINE_SECONDS } from '../dtos/command.dto.js';
import type { ImageCopyBody } from '../dtos/image-transfer.dto.js';
import type { Clock } from '../repositories/clock.repository.js';
import { ImageOriginRepository, type ImageTransferRow } from '../repositories/image-origin.repository.js';
import { CLOCK } from '../repositories/tokens.js';
import { type CommandOutcome, type CommandPlan, type CommandRequest, CommandService } from './command.service.js';
import { BadRequestError, NotFoundError, UnprocessableError } from './errors.js';
import { ImageTransferService } from './image-transfer.service.js';
import { type Principal, requestedByOf } from './principal.js';
import { ResourceResolver } from './resource-resolver.js';

// GET /images/{id}/save and POST /images/{id}/copy: image archives relayed by ImageTransferService.
@Injectable()
export class ImageCopyService {
  constructor(
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly commands: CommandService,
    private readonly transfers: ImageTransferService,
    private readonly images: ImageOriginRepository,
    private readonly resolver: ResourceResolver,
  ) {}

  // Streams the image's `docker save` archive into the sink `open` gives, once its host sends it.
  async save(imageId: string, principal: Principal | undefined, open: () => Writable): Promise<void> {
    const image = await this.image(imageId);
    const deadline = new Date(this.clock.now().getTime() + DEFAULT_DEADLINE_SECONDS * 1000);
    const transfer = this.transfers.open(image, requestedByOf(principal), deadline);
    await this.transfers.read(transfer, open);
  }

  // One image.copy command per destination; each one's agent reads a transfer of its own, which
  // makes the source save when the destination is ready to load.
  async copy(
    imageId: string,
    body: ImageCopyBody,
    principal: Principal | undefined,
  ): Promise<{ image: string; fromHostId: string; copies: { hostId: string; hostname: string; command: unknown }[] }> {
    const image = await this.image(imageId);
    const request: CommandRequest = {
      wait: 0,
      deadlineSeconds: body.deadlineSeconds ?? null,
      idempotencyKey: null,
      requestedBy: requestedByOf(principal),
    };
    const params = {
      fromHostId: image.hostId,
      fromImage: image.engineId,
      sizeBytes: Number(image.sizeBytes),
    };
    // Every destination is checked (404, 409, 422) before any command is made.
    const plans: { hostname: string; plan: CommandPlan }[] = [];
    for (const [i, ref] of body.toHosts.entries()) {
      const host = await this.resolver.resolve('host', ref, `toHosts.${i}`);
      if (host.id === image.hostId) {
        throw new UnprocessableError(`${host.name} already holds the image: it is the host it is copied from`);
      }
      if (plans.some((p) => p.plan.hostId === host.id)) {
        throw new BadRequestError(`toHosts.${i}: ${host.name} is named twice`, `toHosts.${i}`);
      }
      const prepared = await this.commands.prepare(
        { kind: 'host', id: host.id },
        'image.copy',
        { ...params, uploadId: 'transfer' },
        request,
      );
      if ('existing' in prepared) throw new Error('a copy takes no Idempotency-Key');
      plans.push({ hostname: host.name, plan: prepared.plan });
    }
    const deadlineMs = (body.deadlineSeconds ?? DEFAULT_DEADLINE_SECONDS) * 1000;
    const copies = [];
    for (const { hostname, plan } of plans) {
      const transfer = this.transfers.open(
        image,
        request.requestedBy,
        new Date(this.clock.now().getTime() + deadlineMs),
      );
      let outcome: CommandOutcome;
      try {
        await this.transfers.claimed(transfer);
        outcome = await this.commands.commit(plan, { ...plan.params, uploadId: transfer });
      } catch (err) {
        this.transfers.drop(transfer);
        throw err;
      }
      copies.push({ hostId: plan.hostId, hostname, command: outcome.command });
    }
    return { image: image.id, fromHostId: image.hostId, copies };
  }

  private async image(id: string): Promise<ImageTransferRow> {
    const image = await this.images.transferRow(id);
    if (!image) throw new NotFoundError(`no image with id ${id}`);
    return image;
  }
}
