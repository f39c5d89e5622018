import { describe, expect, it } from 'vitest';
import { DockerDemux } from './docker-demux.js';

const frame = (type: number, text: string) => {
  const data = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = type;
  header.writeUInt32BE(data.length, 4);
  return Buffer.concat([header, data]);
};

describe('DockerDemux', () => {
  const run = (chunks: Buffer[]) => {
    const out: string[] = [];
    const sut = new DockerDemux((ch, d) => out.push(`${ch}:${d.toString()}`));
    for (const c of chunks) sut.push(c);
    return out.join('|');
  };

  it('splits frames by stream, several in one read', () => {
    expect(run([Buffer.concat([frame(1, 'out'), frame(2, 'err'), frame(1, '!')])])).toBe(
      'stdout:out|stderr:err|stdout:!',
    );
  });

  it('copes with headers and data split at any byte', () => {
    const all = Buffer.concat([frame(1, 'hello'), frame(2, 'world')]);
    for (let cut = 1; cut < all.length; cut++) {
      const got = { stdout: '', stderr: '' };
      const sut = new DockerDemux((ch, d) => {
        got[ch] += d.toString();
      });
      sut.push(all.subarray(0, cut));
      sut.push(all.subarray(cut));
      expect(got).toEqual({ stdout: 'hello', stderr: 'world' });
    }
  });

  it('drops an echo of stdin and passes empty frames over', () => {
    expect(run([Buffer.concat([frame(0, 'in'), frame(1, ''), frame(1, 'x')])])).toBe('stdout:x');
  });
});
