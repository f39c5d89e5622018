import { describe, expect, it } from 'vitest';
import { capResult, cutUtf8, streamCap } from './result-cap.js';

describe('result caps', () => {
  it('cuts UTF-8 text at a byte count without splitting a character', () => {
    expect(cutUtf8('aé€', 4)).toBe('aé');
    expect(cutUtf8('aé€', 6)).toBe('aé€');
    expect(Buffer.byteLength(cutUtf8('€'.repeat(10), 7))).toBe(6);
  });

  it('takes the stream cap from the command: exec maxOutputBytes, logs the agent cap, others none', () => {
    expect(streamCap({ op: 'container.exec', maxOutputBytes: 100 })).toBe(100);
    expect(streamCap({ op: 'container.logs', maxOutputBytes: null })).toBe(4 * 1024 * 1024);
    expect(streamCap({ op: 'container.start', maxOutputBytes: null })).toBeNull();
    expect(streamCap(null)).toBeNull();
  });

  it('cuts each stream at its cap and says so', () => {
    const sut = capResult({ exitCode: 0, stdout: 'x'.repeat(100), stderr: 'y', truncated: false }, 10, 1 << 20);
    expect(sut).toEqual({ exitCode: 0, stdout: 'x'.repeat(10), stderr: 'y', truncated: true });
  });

  it('keeps results within their caps as they are', () => {
    const result = { exitCode: 0, stdout: 'ok', stderr: '', truncated: false };
    expect(capResult(result, 10, 1000)).toBe(result);
  });

  it('shares the total cap between the streams, and drops a result without streams that passes it', () => {
    const sut = capResult({ stdout: 'a'.repeat(5000), stderr: 'b'.repeat(5000) }, null, 2000);
    expect(Buffer.byteLength(JSON.stringify(sut))).toBeLessThanOrEqual(2000);
    expect(sut.truncated).toBe(true);
    expect((sut.stdout as string).length).toBeGreaterThan(500);
    expect(capResult({ junk: 'z'.repeat(5000) }, null, 2000)).toEqual({
      truncated: true,
      message: expect.stringContaining('was not kept'),
    });
  });
});
