import type { ServerResponse } from 'node:http';
import { sseFrameFor, type View } from '../services/command-redaction.js';
import type { CorralEvent } from '../services/event-bus.js';
import type { EventSink, ResetNotice } from '../services/event-stream.service.js';

// How long a stream closed with a reason may take to deliver it before its socket is cut.
const CLOSE_GRACE_MS = 1_000;

// One client's Server-Sent Events: the frames its view may see, at most `maxBufferedBytes` of them
// unsent. A client that falls that far behind is cut off at once and its memory freed (destroy, not
// end: ending would keep the unsent bytes until the client read them); it resumes with Last-Event-ID.
export class SseSink implements EventSink {
  private closed = false;

  constructor(
    private readonly res: ServerResponse,
    private readonly view: View,
    private readonly maxBufferedBytes: number,
  ) {}

  event(event: CorralEvent): boolean {
    const frame = sseFrameFor(event, this.view);
    return frame === null ? !this.closed : this.write(frame);
  }

  reset(notice: ResetNotice): void {
    this.write(`id: ${notice.resumeFrom}\nevent: reset\ndata: ${JSON.stringify(notice)}\n\n`);
  }

  comment(text: string): void {
    this.write(`: ${text}\n\n`);
  }

  // While more than half the buffer is unsent: resolves when it is all sent or the client is gone.
  room(): Promise<void> | null {
    if (this.closed || this.res.destroyed || this.res.writableLength < this.maxBufferedBytes / 2) return null;
    return new Promise((resolve) => {
      const done = () => {
        this.res.off('drain', done);
        this.res.off('close', done);
        resolve();
      };
      this.res.on('drain', done);
      this.res.on('close', done);
    });
  }

  // Over: a client that has read everything gets a clean end, one holding unsent bytes is cut off.
  end(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.res.writableLength === 0) this.res.end();
    else this.res.destroy();
  }

  // Ends the stream telling the client why (a `closed` event), e.g. its token was revoked.
  closeWith(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.res.end(`event: closed\ndata: ${JSON.stringify({ reason })}\n\n`);
    setTimeout(() => this.res.destroy(), CLOSE_GRACE_MS).unref();
  }

  private write(text: string): boolean {
    if (this.closed || this.res.destroyed) return false;
    if (this.res.writableLength + text.length > this.maxBufferedBytes) {
      this.closed = true;
      this.res.destroy();
      return false;
    }
    this.res.write(text);
    return true;
  }
}
