import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type CommandOp, opSpec } from '@corral/protocol';
import { Inject, Injectable, Logger, StreamableFile } from '@nestjs/common';
import { CHANNEL, ClusterChannel } from '../cluster/cluster-channel.js';
import { ReplicaLocator } from '../cluster/replica-locator.js';
import type { Config } from '../config/config.js';
import { CONFIG } from '../repositories/tokens.js';
import { UploadRepository } from '../repositories/upload.repository.js';
import { type CommandOutcome, type CommandRequest, CommandService, type CommandSubject } from './command.service.js';
import { endedIdsOf, FINAL_NOTE_START } from './command-notifier.js';
import { NotFoundError, PayloadTooLargeError, UnsupportedMediaTypeError } from './errors.js';

export type UploadBody = Readable & { headers: IncomingHttpHeaders };

class TooLarge extends Error {}

// Files that ops take (image tarballs): streamed to disk under an upload id, which becomes the
// command's `uploadId`; the agent fetches it through GET /api/v1/uploads/{id}. The file goes
// when the command ends (on whichever replica it ends: its end is announced to all).
@Injectable()
export class UploadService {
  // Uploads kept by this replica, by the command that takes them.
  private readonly logger = new Logger(UploadService.name);
  private readonly held = new Map<string, string>();

  constructor(
    @Inject(CONFIG) private readonly config: Config,
    private readonly uploads: UploadRepository,
    private readonly commands: CommandService,
    private readonly locator: ReplicaLocator,
    channel: ClusterChannel,
  ) {
    channel.listen(CHANNEL.commands, (payload) => this.noted(payload));
  }

  async submitWithUpload(
    op: CommandOp,
    subject: CommandSubject,
    params: Record<string, unknown>,
    body: UploadBody,
    request: CommandRequest,
  ): Promise<CommandOutcome> {
    const types = opSpec(op).route.uploadTypes ?? ['application/octet-stream'];
    const type = (body.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (!types.includes(type)) {
      throw new UnsupportedMediaTypeError(`send the file as ${types.join(' or ')}, not "${type || 'nothing'}"`);
    }
    const declared = Number(body.headers['content-length'] ?? Number.NaN);
    if (declared > this.config.maxUploadBytes) throw this.tooLarge();
    // The upload id is ours, so a retry is recognised by the other params alone.
    const prepared = await this.commands.prepare(subject, op, { ...params, uploadId: 'upload' }, request, params);
    if ('existing' in prepared) return this.commands.respond(prepared.existing, false, request.wait);
    const uploadId = randomUUID();
    try {
      await this.receive(body, uploadId);
      // Before any agent is told the id: its GET may reach another replica, which asks where it is.
      await this.locator.claim(uploadId);
      const outcome = await this.commands.commit(prepared.plan, { ...prepared.plan.params, uploadId });
      // A concurrent retry with the same key won the race: its upload is the one that counts.
      if (!outcome.created) await this.remove(uploadId);
      else this.held.set(outcome.command.id, uploadId);
      return outcome;
    } catch (err) {
      await this.remove(uploadId);
      throw err instanceof TooLarge ? this.tooLarge() : err;
    }
  }

  // Commands that ended, on any replica: the files of those holding an upload kept here go.
  private noted(payload: string): void {
    if (this.held.size === 0 || !payload.startsWith(FINAL_NOTE_START)) return;
    for (const id of endedIdsOf(payload)) {
      const uploadId = this.held.get(id as string);
      if (!uploadId) continue;
      this.held.delete(id as string);
      this.remove(uploadId).catch((err: Error) => {
        // A file left behind is in CORRAL_DATA_DIR/uploads under its id; it takes nothing else.
        this.logger.warn(`could not remove upload ${uploadId}: ${err.message}`);
      });
    }
  }

  // The file, and the row saying this replica holds it.
  async remove(uploadId: string): Promise<void> {
    this.locator.release(uploadId);
    await this.uploads.remove(uploadId);
  }

  // Whether this replica holds the upload's file.
  async isHere(uploadId: string): Promise<boolean> {
    return (await this.uploads.size(uploadId)) !== null;
  }

  async open(uploadId: string): Promise<StreamableFile> {
    const size = await this.uploads.size(uploadId);
    if (size === null) throw new NotFoundError(`no upload with id ${uploadId}`);
    return new StreamableFile(this.uploads.createReadStream(uploadId), { type: 'application/x-tar', length: size });
  }

  private async receive(body: Readable, uploadId: string): Promise<void> {
    const max = this.config.maxUploadBytes;
    let bytes = 0;
    const cap = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        bytes += chunk.length;
        done(bytes > max ? new TooLarge() : null, chunk);
      },
    });
    const file = await this.uploads.createWriteStream(uploadId);
    // Not pipeline(body, ...): that would destroy the request socket on overflow, and the client
    // would never read the 413. The rest of an oversized body is read and dropped instead.
    body.once('error', (err) => cap.destroy(err));
    body.once('close', () => {
      if (!body.readableEnded) cap.destroy(new Error('the client aborted the upload'));
    });
    body.pipe(cap);
    try {
      await pipeline(cap, file);
    } catch (err) {
      body.unpipe(cap);
      body.resume();
      throw err;
    }
  }

  private tooLarge(): PayloadTooLargeError {
    return new PayloadTooLargeError(
      `the upload is larger than ${this.config.maxUploadBytes} bytes (CORRAL_MAX_UPLOAD_BYTES)`,
    );
  }
}
