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

// The request is well formed but cannot be carried out as asked (e.g. an op the runtime lacks).
export class UnprocessableError extends Error {
  override readonly name = 'UnprocessableError';
}

// The resource is in a state that forbids the request (e.g. canceling a finished command).
export class ConflictError extends Error {
  override readonly name: string = 'ConflictError';
}

// A create mounting a volume another image family used last (409), unless forced.
export class VolumeGuardError extends ConflictError {
  override readonly name = 'VolumeGuardError';

  constructor(
    message: string,
    readonly conflict: { volume: string; family: string; containers: string[]; lastUsedAt: Date },
  ) {
    super(message);
  }
}

// One of the rows a reference may mean (409 when a name fits several).
export interface Candidate {
  id: string;
  name: string;
  hostId: string | null;
  hostname: string | null;
}

// A name, engine id prefix or hostname that fits several rows; the answer lists them.
export class AmbiguousError extends ConflictError {
  override readonly name = 'AmbiguousError';

  constructor(
    message: string,
    readonly candidates: Candidate[],
  ) {
    super(message);
  }
}

export class PayloadTooLargeError extends Error {
  override readonly name = 'PayloadTooLargeError';
}

export class UnsupportedMediaTypeError extends Error {
  override readonly name = 'UnsupportedMediaTypeError';
}

// No credential, or one that is unknown, revoked or expired (401).
export class UnauthorizedError extends Error {
  override readonly name = 'UnauthorizedError';
}

// A valid credential that may not do this (403).
export class ForbiddenError extends Error {
  override readonly name = 'ForbiddenError';
}

// A create that a host's create policy refuses (403): `rule` names the policy rule, `field` the param.
export class PolicyRefusedError extends ForbiddenError {
  constructor(
    message: string,
    readonly rule: string,
    readonly field: string,
  ) {
    super(message);
  }
}

// A create that a host's image policy refuses (422): `rule` names the image rule, `field` the param.
export class ImagePolicyRefusedError extends UnprocessableError {
  constructor(
    message: string,
    readonly rule: string,
    readonly field: string,
  ) {
    super(message);
  }
}

// Past a per-token limit (429); the client may try again after `retryAfterSeconds`.
export class TooManyRequestsError extends Error {
  override readonly name = 'TooManyRequestsError';

  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

// The host behind the request failed to do its part (an image save that did not start) (502).
export class BadGatewayError extends Error {
  override readonly name = 'BadGatewayError';
}

// No one can do it now, but soon may (no replica holds the placement lease during a handover) (503).
export class ServiceUnavailableError extends Error {
  override readonly name = 'ServiceUnavailableError';
}
