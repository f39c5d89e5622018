import { randomUUID } from 'node:crypto';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { ReplicaLocator } from '../cluster/replica-locator.js';
import type { CommandDto } from '../dtos/command.dto.js';
import { CommandService } from './command.service.js';
import { BadGatewayError, ConflictError, ForbiddenError, NotFoundError } from './errors.js';
import type { Principal } from './principal.js';

// How long a save may take to start sending once asked (the agent may be busy or reconnecting).
const PRODUCER_WAIT_MS = 120_000;
// Transfers nobody read (a copy whose target never came) are dropped after their deadline.
const SWEEP_MS = 30_000;

// One image archive on its way from a source host's `docker save` to one reader: a client
// (GET /images/{id}/save) or another host's `docker load` (image.copy).
interface Transfer {
  id: string;
  image: TransferSource;
  requestedBy: string | null;
  expiresAt: number;
  reading: boolean;
  // Whether the source agent's PUT has arrived.
  produced: boolean;
  arrived: Promise<Readable>;
  arrive: (body: Readable) => void;
  // The row naming this replica as the transfer's holder, for agents' requests reaching another.
  claimed: Promise<void>;
}

export interface TransferSource {
  id: string;
  hostId: string;
  engineId: string;
  // What makes the archive on the source host: image.save of the image unless named (a container's
  // directory for an LXC copy or move, a volume's contents for a Docker move).
  producer?: { kind: 'container' | 'volume'; op: 'container.archive' | 'volume.archive' };
}

// Relays image archives through the controller without keeping them: the source agent PUTs the
// archive to /api/v1/uploads/{transferId}, the reader's response is piped from that request, so
// TCP backpressure runs end to end (a slow `docker load` slows the `docker save`), and at most the
// streams' buffers are held here, whatever the image's size. The save command is issued only when
// the reader is there, so nothing is read that nobody takes.
@Injectable()
export class ImageTransferService implements OnModuleDestroy {
  private readonly logger = new Logger(ImageTransferService.name);
  private readonly transfers = new Map<string, Transfer>();
  private readonly sweeper = setInterval(() => this.sweep(), SWEEP_MS).unref();

  constructor(
    private readonly commands: CommandService,
    private readonly locator: ReplicaLocator,
  ) {}

  onModuleDestroy(): void {
    clearInterval(this.sweeper);
  }

  // A transfer of `image`, to be read once before `deadline`.
  open(image: TransferSource, requestedBy: string | null, deadline: Date): string {
    const id = randomUUID();
    let arrive!: (body: Readable) => void;
    const arrived = new Promise<Readable>((resolve) => {
      arrive = resolve;
    });
    const claimed = this.locator.claim(id);
    claimed.catch((err: Error) => this.logger.warn(`could not record transfer ${id}'s replica: ${err.message}`));
    this.transfers.set(id, {
      id,
      image,
      requestedBy,
      expiresAt: deadline.getTime(),
      reading: false,
      produced: false,
      arrived,
      arrive,
      claimed,
    });
    return id;
  }

  // Resolves once the other replicas can find the transfer here: await it before telling an agent.
  async claimed(id: string): Promise<void> {
    await this.transfers.get(id)?.claimed;
  }

  has(id: string): boolean {
    return this.transfers.has(id);
  }

  drop(id: string): void {
    if (this.transfers.delete(id)) this.locator.release(id);
  }

  // The reader's side: asks the source host to save, waits for its archive and pipes it into the
  // sink `open` gives (called once the archive is coming, so a failed save is still a clean error).
  async read(id: string, open: () => Writable): Promise<void> {
    const transfer = this.transfers.get(id);
    if (!transfer) throw new NotFoundError(`no transfer with id ${id}, or it was already read`);
    if (transfer.reading) throw new ConflictError(`transfer ${id} is already being read`);
    transfer.reading = true;
    try {
      await transfer.claimed;
      const waitMs = Math.max(1000, Math.min(PRODUCER_WAIT_MS, transfer.expiresAt - Date.now()));
      const producer = transfer.image.producer;
      const save = await this.commands.submit(
        { kind: producer?.kind ?? 'image', id: transfer.image.id },
        producer?.op ?? 'image.save',
        { transferId: id },
        {
          wait: 0,
          deadlineSeconds: Math.max(1, Math.ceil((transfer.expiresAt - Date.now()) / 1000)),
          idempotencyKey: null,
          requestedBy: transfer.requestedBy,
        },
      );
      const body = await this.producerOrFailure(transfer, save.command, waitMs);
      await pipeline(body, open());
    } finally {
      this.drop(id);
    }
  }

  // The source agent's side: its PUT body, answered once the reader has taken all of it.
  async receive(id: string, principal: Principal | undefined, body: Readable): Promise<void> {
    const transfer = this.transfers.get(id);
    if (!transfer) throw new NotFoundError(`no transfer with id ${id}`);
    if (principal?.kind !== 'agent' || principal.hostId !== transfer.image.hostId) {
      throw new ForbiddenError(`transfer ${id} takes the archive only from the agent of the image's host`);
    }
    if (transfer.produced) throw new ConflictError(`transfer ${id} already has its archive`);
    transfer.produced = true;
    const done = new Promise<void>((resolve, reject) => {
      body.once('end', resolve);
      body.once('close', () => (body.readableEnded ? resolve() : reject(new Error('the reader went away'))));
      body.once('error', reject);
    });
    transfer.arrive(body);
    try {
      await done;
    } catch (err) {
      throw new BadGatewayError(`the archive was not read to its end: ${(err as Error).message}`);
    }
  }

  private async producerOrFailure(transfer: Transfer, save: CommandDto, waitMs: number): Promise<Readable> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(new BadGatewayError(`the host holding the image did not start sending it within ${waitMs / 1000}s`)),
        waitMs,
      );
    });
    const failed = this.saveEnded(save, waitMs);
    try {
      return await Promise.race([transfer.arrived, failed, timeout]);
    } finally {
      clearTimeout(timer);
      failed.catch(() => undefined);
    }
  }

  // Rejects when the save command ends without having sent its archive.
  private async saveEnded(save: CommandDto, waitMs: number): Promise<never> {
    const ended = await this.commands.get(save.id, Math.ceil(waitMs / 1000));
    // Succeeded: it sent its archive, which the race took. Still open: the timeout decides.
    if (ended.status === 'succeeded' || !['failed', 'canceled', 'timed_out'].includes(ended.status)) {
      return new Promise<never>(() => undefined);
    }
    const message = ended.error?.message ?? `the save ended as ${ended.status}`;
    if (ended.error?.code === 'not_found') throw new NotFoundError(`saving the image failed: ${message}`);
    throw new BadGatewayError(`saving the image on its host failed: ${message}`);
  }

  private sweep(): void {
    const now = Date.now();
    for (const [id, transfer] of this.transfers) {
      if (!transfer.reading && transfer.expiresAt < now) {
        this.drop(id);
        this.logger.debug(`transfer ${id} expired unread`);
      }
    }
  }
}
