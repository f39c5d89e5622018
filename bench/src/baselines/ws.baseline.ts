import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { DEFAULT_SHAPE, SyntheticHost } from '@corral/simulator';
import WebSocket from 'ws';
import { BENCH_DIST } from '../support/paths.js';
import { type Summary, summarize } from '../support/stats.js';

export interface WsBaseline {
  frameBytes: number;
  roundTrip: Summary;
  pipelinedMessagesPerSecond: number;
  pipelined: number;
}

// Round trips and pipelined echo of a one-change delta frame to another process over loopback.
export async function wsBaseline(roundTrips: number, pipelined: number, window = 1000): Promise<WsBaseline> {
  const server = spawn(process.execPath, [path.join(BENCH_DIST, 'baselines', 'echo-server.js')], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  try {
    const [first] = (await once(server.stdout!, 'data')) as [Buffer];
    const port = Number(first.toString().trim());
    const host = new SyntheticHost(DEFAULT_SHAPE, 0);
    const frame = JSON.stringify({
      type: 'delta',
      seq: 1,
      changes: [{ op: 'upsert', kind: 'container', record: host.container(20) }],
    });
    const socket = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: false });
    await once(socket, 'open');

    const times: number[] = [];
    const deadline = Date.now() + 60_000;
    for (let i = 0; i < roundTrips && Date.now() < deadline; i++) {
      const started = performance.now();
      const answered = once(socket, 'message');
      socket.send(frame);
      await answered;
      times.push(performance.now() - started);
    }

    let received = 0;
    let sent = 0;
    const started = performance.now();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('pipelined echo did not finish in 60 s')), 60_000);
      const pump = () => {
        while (sent < pipelined && sent - received < window && socket.bufferedAmount < 1 << 20) {
          socket.send(frame);
          sent++;
        }
      };
      socket.on('message', () => {
        received++;
        if (received === pipelined) {
          clearTimeout(timer);
          resolve();
        } else if (sent - received < window / 2) pump();
      });
      pump();
    });
    const seconds = (performance.now() - started) / 1000;
    socket.close();
    return {
      frameBytes: frame.length,
      roundTrip: summarize(times),
      pipelinedMessagesPerSecond: received / seconds,
      pipelined,
    };
  } finally {
    server.stdin?.end();
    server.kill();
  }
}
