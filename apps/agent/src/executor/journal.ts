import { type FileHandle, mkdir, open, readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import type { CommandError, CommandOp } from '@corral/protocol';
import type { Logger } from '../lib/logger.js';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from '../state/private-files.js';

export type CommandOutcome = { ok: true; result: Record<string, unknown> } | { ok: false; error: CommandError };

export type FinishedCommand = CommandOutcome & { id: string; op: CommandOp | string; at: string };

type JournalLine =
  | { type: 'started'; id: string; op: string; at: string }
  | ({ type: 'finished'; confirmed?: boolean } & FinishedCommand)
  | { type: 'confirmed'; id: string };

export interface JournalOptions {
  logger: Logger;
  // Finished entries kept by the compaction at open.
  keep?: number;
  now?: () => Date;
}

export const JOURNAL_FILE = 'commands.journal';

// Append-only JSONL of command ids: `started` is on disk before a command runs and `finished` (with
// its result) before the result is sent, so a command delivered twice runs once, even across
// restarts. `confirmed` marks results the controller has seen; it is written without fsync, since
// losing one only causes a harmless re-send.
export class CommandJournal {
  private readonly finishedById = new Map<string, FinishedCommand>();
  private readonly unconfirmedIds = new Set<string>();
  private readonly startedIds = new Set<string>();
  private tail: Promise<void> = Promise.resolve();
  private closed = false;

  private constructor(
    private readonly file: string,
    private readonly handle: FileHandle,
    private readonly opts: JournalOptions,
  ) {}

  // Loads the journal, ends every command that started but never finished as `interrupted`, and
  // rewrites the file keeping the newest `keep` finished entries.
  static async open(
    dir: string,
    opts: JournalOptions,
  ): Promise<{ journal: CommandJournal; interrupted: FinishedCommand[] }> {
    await mkdir(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
    const file = path.join(dir, JOURNAL_FILE);
    const now = opts.now ?? (() => new Date());
    const { finished, confirmed, started } = parseJournal(await readIfExists(file), file, opts.logger);

    const interrupted: FinishedCommand[] = [];
    for (const [id, op] of started) {
      if (finished.has(id)) continue;
      const entry: FinishedCommand = {
        id,
        op,
        at: now().toISOString(),
        ok: false,
        error: {
          code: 'interrupted',
          message: 'the agent stopped while this command ran; check the inventory before retrying',
          retryable: false,
        },
      };
      finished.delete(id);
      finished.set(id, entry);
      interrupted.push(entry);
    }

    const kept = [...finished.values()].slice(-(opts.keep ?? 10_000));
    const lines = kept.map((e) => JSON.stringify({ type: 'finished', ...e, confirmed: confirmed.has(e.id) }));
    await writeAtomically(file, lines.length > 0 ? `${lines.join('\n')}\n` : '');

    const handle = await open(file, 'a', PRIVATE_FILE_MODE);
    const journal = new CommandJournal(file, handle, opts);
    for (const e of kept) {
      journal.finishedById.set(e.id, e);
      if (!confirmed.has(e.id)) journal.unconfirmedIds.add(e.id);
    }
    if (interrupted.length > 0) {
      opts.logger.warn('commands interrupted by the previous agent run', { ids: interrupted.map((e) => e.id) });
    }
    return { journal, interrupted };
  }

  get path(): string {
    return this.file;
  }

  finished(id: string): FinishedCommand | undefined {
    return this.finishedById.get(id);
  }

  // Started in this process and not finished yet.
  isRunning(id: string): boolean {
    return this.startedIds.has(id) && !this.finishedById.has(id);
  }

  // Finished results the controller has not been seen to receive, oldest first.
  unconfirmed(): FinishedCommand[] {
    const out: FinishedCommand[] = [];
    for (const id of this.unconfirmedIds) {
      const e = this.finishedById.get(id);
      if (e) out.push(e);
    }
    return out;
  }

  async start(id: string, op: string): Promise<void> {
    this.startedIds.add(id);
    await this.append({ type: 'started', id, op, at: this.now().toISOString() }, true);
  }

  async finish(id: string, op: string, outcome: CommandOutcome): Promise<FinishedCommand> {
    const entry: FinishedCommand = { id, op, at: this.now().toISOString(), ...outcome };
    this.finishedById.delete(id);
    this.finishedById.set(id, entry);
    this.unconfirmedIds.add(id);
    this.startedIds.delete(id);
    // Memory holds what the next compaction would keep; the file keeps the rest until then.
    const keep = this.opts.keep ?? 10_000;
    for (const old of this.finishedById.keys()) {
      if (this.finishedById.size <= keep) break;
      this.finishedById.delete(old);
      this.unconfirmedIds.delete(old);
    }
    await this.append({ type: 'finished', ...entry }, true);
    return entry;
  }

  confirm(id: string): void {
    if (!this.unconfirmedIds.delete(id)) return;
    this.append({ type: 'confirmed', id }, false).catch((error: unknown) =>
      this.opts.logger.warn('cannot journal a confirmed result', { id, error }),
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.tail.catch(() => undefined);
    await this.handle.close();
  }

  // Appends are serialized so lines never interleave; `sync` waits for the data to reach the disk.
  private append(line: JournalLine, sync: boolean): Promise<void> {
    if (this.closed) return Promise.reject(new Error('command journal is closed'));
    const run = this.tail.then(async () => {
      await this.handle.write(`${JSON.stringify(line)}\n`);
      if (sync) await this.handle.datasync();
    });
    this.tail = run.catch(() => undefined);
    return run;
  }

  private now(): Date {
    return this.opts.now?.() ?? new Date();
  }
}

interface ParsedJournal {
  // In file order, the newest last.
  finished: Map<string, FinishedCommand>;
  confirmed: Set<string>;
  started: Map<string, string>;
}

// Pure: tolerates a torn last line (the agent died mid-append) and skips any other bad line.
export function parseJournal(text: string, file: string, logger: Logger): ParsedJournal {
  const out: ParsedJournal = { finished: new Map(), confirmed: new Set(), started: new Map() };
  const lines = text.split('\n');
  lines.forEach((raw, index) => {
    if (raw.trim() === '') return;
    const line = parseLine(raw);
    if (!line) {
      const torn = index === lines.length - 1;
      logger.warn(torn ? 'command journal: dropping a torn last line' : 'command journal: skipping a bad line', {
        file,
        line: index + 1,
      });
      return;
    }
    if (line.type === 'started') {
      out.started.set(line.id, line.op);
    } else if (line.type === 'finished') {
      const { type: _type, confirmed, ...entry } = line;
      out.finished.delete(entry.id);
      out.finished.set(entry.id, entry);
      if (confirmed) out.confirmed.add(entry.id);
      else out.confirmed.delete(entry.id);
    } else {
      out.confirmed.add(line.id);
    }
  });
  return out;
}

function parseLine(raw: string): JournalLine | null {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  if (typeof v.id !== 'string') return null;
  if (v.type === 'started' && typeof v.op === 'string') return v as JournalLine;
  if (v.type === 'confirmed') return v as JournalLine;
  if (v.type === 'finished' && typeof v.op === 'string' && typeof v.ok === 'boolean') {
    if (v.ok && typeof v.result === 'object' && v.result !== null) return v as JournalLine;
    if (!v.ok && typeof v.error === 'object' && v.error !== null) return v as JournalLine;
  }
  return null;
}

async function readIfExists(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw error;
  }
}

async function writeAtomically(file: string, text: string): Promise<void> {
  const tmp = `${file}.tmp`;
  // The journal holds exec output: only the agent may read it, even a temporary left by a crash.
  const handle = await open(tmp, 'w', PRIVATE_FILE_MODE);
  try {
    await handle.chmod(PRIVATE_FILE_MODE);
    await handle.write(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, file);
  const dir = await open(path.dirname(file), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}
