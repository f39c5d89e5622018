import { describe, expect, it } from 'vitest';
import { parseLabelList } from './labels.parser.js';

describe('parseLabelList', () => {
  it('reads key=value pairs separated by commas, ignoring blanks', () => {
    const sut = parseLabelList(' zone=eu , disk=ssd,,gpu=,topology.kubernetes.io/rack=r-12 ');
    expect(sut).toEqual({
      ok: true,
      labels: { zone: 'eu', disk: 'ssd', gpu: '', 'topology.kubernetes.io/rack': 'r-12' },
    });
  });

  it('gives no labels for an empty text', () => {
    expect(parseLabelList('')).toEqual({ ok: true, labels: {} });
    expect(parseLabelList(' , ')).toEqual({ ok: true, labels: {} });
  });

  it('reports every bad item at once, naming it', () => {
    const sut = parseLabelList('zone,=eu,disk=s s,zone=eu,zone=us,-x=1');
    expect(sut.ok).toBe(false);
    if (sut.ok) return;
    expect(sut.problems).toHaveLength(5);
    expect(sut.problems[0]).toBe('"zone" is not key=value');
    expect(sut.problems[1]).toContain('"=eu": a label key');
    expect(sut.problems[2]).toContain('"disk=s s": a label value');
    expect(sut.problems[3]).toBe('"zone" is given twice');
    expect(sut.problems[4]).toContain('"-x=1": a label key');
  });

  it('refuses more than 64 labels', () => {
    const text = Array.from({ length: 65 }, (_, i) => `k${i}=v`).join(',');
    const sut = parseLabelList(text);
    expect(sut).toEqual({ ok: false, problems: ['at most 64 labels'] });
  });
});
