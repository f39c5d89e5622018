// Domain errors; the HTTP exception filter is the one place that maps them to responses.
export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';
}

export class BadRequestError extends Error {
  override readonly name = 'BadRequestError';

  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}
