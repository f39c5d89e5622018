import { describe, expect, it } from 'vitest';
import { lastProgress } from './progress.js';

describe('lastProgress', () => {
  it('takes the last whole-transfer line, skipping layers and cut lines', () => {
    const output = [
      '{"progress":"pull","layer":"a3ed95caeb02","status":"Downloading","current":1,"total":2}',
      '{"progress":"pull","status":"pulling","current":1048576,"total":2811478}',
      '{"progress":"pull","layer":"b1","status":"Extracting","current":5,"total":9}',
      '{"progress":"pull","status":"pul',
    ].join('\n');
    expect(lastProgress(output)).toEqual({ status: 'pulling', current: 1048576, total: 2811478 });
  });

  it('is null without progress lines, and keeps an unknown total unknown', () => {
    expect(lastProgress('plain output\n')).toBeNull();
    expect(lastProgress(null)).toBeNull();
    expect(lastProgress('{"progress":"load","status":"receiving","current":7,"total":null}')).toEqual({
      status: 'receiving',
      current: 7,
      total: null,
    });
  });
});
