import { createReadStream, createWriteStream, type ReadStream, type WriteStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import type { Config } from '../config/config.js';
import { CONFIG } from './tokens.js';

// Uploaded image tarballs under CORRAL_DATA_DIR/uploads, named by upload id.
@Injectable()
export class UploadRepository {
  private readonly dir: string;

  constructor(@Inject(CONFIG) config: Config) {
    this.dir = path.join(config.dataDir, 'uploads');
  }

  pathOf(uploadId: string): string {
    return path.join(this.dir, `${uploadId}.tar`);
  }

  async createWriteStream(uploadId: string): Promise<WriteStream> {
    await mkdir(this.dir, { recursive: true });
    return createWriteStream(this.pathOf(uploadId), { flags: 'wx' });
  }

  createReadStream(uploadId: string): ReadStream {
    return createReadStream(this.pathOf(uploadId));
  }

  async size(uploadId: string): Promise<number | null> {
    try {
      return (await stat(this.pathOf(uploadId))).size;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  remove(uploadId: string): Promise<void> {
    return rm(this.pathOf(uploadId), { force: true });
  }
}
