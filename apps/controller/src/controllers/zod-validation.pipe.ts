import type { ArgumentMetadata, PipeTransform } from '@nestjs/common';
import { z } from 'zod';

// Parses a request part with a zod schema; the ZodError it throws becomes a 400 in the exception filter.
export class ZodValidationPipe<S extends z.ZodType> implements PipeTransform<unknown, z.output<S>> {
  constructor(private readonly schema: S) {}

  transform(value: unknown, metadata: ArgumentMetadata): z.output<S> {
    const result = this.schema.safeParse(value);
    if (result.success) return result.data;
    const name = metadata.data;
    // A single named parameter (@Param('id')): put its name in front of every issue's path.
    if (name) throw new z.ZodError(result.error.issues.map((issue) => ({ ...issue, path: [name, ...issue.path] })));
    throw result.error;
  }
}
