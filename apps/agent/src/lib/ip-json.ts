import type { z } from 'zod';
import type { ParseWarning } from './parse-warning.js';

// The array `ip -j` prints, each entry checked against `schema`; entries of another shape become
// warnings (the index stands in for a line) instead of failing the read.
export function readIpJson<S extends z.ZodType>(
  jsonText: string,
  schema: S,
): { entries: z.infer<S>[]; warnings: ParseWarning[] } {
  let raw: unknown;
  try {
    raw = JSON.parse(jsonText);
  } catch (error) {
    throw new Error(`ip -j output is not JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(raw)) throw new Error('ip -j output is not a JSON array');
  const entries: z.infer<S>[] = [];
  const warnings: ParseWarning[] = [];
  raw.forEach((entry, index) => {
    const parsed = schema.safeParse(entry);
    if (parsed.success) entries.push(parsed.data);
    else
      warnings.push({
        line: index + 1,
        text: JSON.stringify(entry).slice(0, 200),
        reason: parsed.error.issues[0]?.message ?? 'bad link entry',
      });
  });
  return { entries, warnings };
}
