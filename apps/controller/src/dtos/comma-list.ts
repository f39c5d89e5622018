import { z } from 'zod';

// Repeated query parameters (?state=a&state=b) count as one comma-separated list.
export const commaList = <T extends z.ZodType<unknown, string>>(item: T, noun = 'value') =>
  z.preprocess(
    (v) => (Array.isArray(v) ? v.join(',') : v),
    z
      .string()
      .transform((v) =>
        v
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== ''),
      )
      .pipe(z.array(item).min(1, `give at least one ${noun}`)),
  );
