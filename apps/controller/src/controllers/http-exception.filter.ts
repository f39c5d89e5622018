import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { z } from 'zod';
import type { ErrorResponse } from '../dtos/error.dto.js';
import {
  AmbiguousError,
  BadGatewayError,
  BadRequestError,
  ConflictError,
  ForbiddenError,
  ImagePolicyRefusedError,
  NotFoundError,
  PayloadTooLargeError,
  PolicyRefusedError,
  ServiceUnavailableError,
  TooManyRequestsError,
  UnauthorizedError,
  UnprocessableError,
  UnsupportedMediaTypeError,
  VolumeGuardError,
} from '../services/errors.js';

export interface ErrorReply {
  status: number;
  body: ErrorResponse | Record<string, unknown>;
  // 429: seconds until the client may try again (Retry-After).
  retryAfterSeconds?: number;
}

const ERROR_CODES: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  422: 'unprocessable',
  429: 'too_many_requests',
  500: 'internal',
  502: 'bad_gateway',
  503: 'unavailable',
};

const codeFor = (status: number) => ERROR_CODES[status] ?? `http_${status}`;

const DOMAIN_STATUS: [new (message: string) => Error, number][] = [
  [UnauthorizedError, HttpStatus.UNAUTHORIZED],
  [ForbiddenError, HttpStatus.FORBIDDEN],
  [ConflictError, HttpStatus.CONFLICT],
  [UnprocessableError, HttpStatus.UNPROCESSABLE_ENTITY],
  [PayloadTooLargeError, HttpStatus.PAYLOAD_TOO_LARGE],
  [UnsupportedMediaTypeError, HttpStatus.UNSUPPORTED_MEDIA_TYPE],
  [BadGatewayError, HttpStatus.BAD_GATEWAY],
  [ServiceUnavailableError, HttpStatus.SERVICE_UNAVAILABLE],
];

function fromZod(error: z.core.$ZodError): ErrorReply {
  const messages = error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      const names = issue.keys.map((k) => [...issue.path, k].join('.'));
      return { field: names[0]!, message: `unknown parameter ${names.join(', ')}` };
    }
    const field = String(issue.path[0] ?? 'request');
    return { field, message: `${field}: ${issue.message}` };
  });
  const first = messages[0] ?? { field: 'request', message: 'invalid request' };
  return {
    status: HttpStatus.BAD_REQUEST,
    body: { error: 'bad_request', message: messages.map((m) => m.message).join('; '), field: first.field },
  };
}

// What express' body parser threw, as Nest hands it on in `cause`.
interface BodyParserError {
  type?: string;
  limit?: number;
}

function fromBodyParser(status: number, cause: BodyParserError, message: string): ErrorReply | null {
  if (cause.type === 'entity.too.large') {
    const limit = cause.limit ? ` of ${cause.limit} bytes` : '';
    return { status, body: { error: codeFor(status), message: `request body is larger than the limit${limit}` } };
  }
  if (cause.type === 'entity.parse.failed') {
    return { status, body: { error: 'bad_request', message: `body is not valid JSON: ${message}`, field: 'body' } };
  }
  return null;
}

function fromHttpException(exception: HttpException): ErrorReply {
  const status = exception.getStatus();
  if (exception.cause && typeof exception.cause === 'object') {
    const reply = fromBodyParser(status, exception.cause as BodyParserError, exception.message);
    if (reply) return reply;
  }
  const response = exception.getResponse();
  // Nest's own shape ({statusCode, message, error}) is rewritten; a body a controller built on purpose is kept.
  if (typeof response === 'object' && response !== null && !('statusCode' in response)) {
    return { status, body: response as Record<string, unknown> };
  }
  const raw = typeof response === 'string' ? response : (response as { message?: unknown }).message;
  const message = Array.isArray(raw) ? raw.join('; ') : String(raw ?? exception.message);
  return { status, body: { error: codeFor(status), message } };
}

// Every domain error to its HTTP answer, in one place. Unknown errors answer 500 without detail.
export function toErrorReply(exception: unknown): ErrorReply {
  if (exception instanceof z.core.$ZodError) return fromZod(exception);
  if (exception instanceof NotFoundError) {
    return { status: HttpStatus.NOT_FOUND, body: { error: 'not_found', message: exception.message } };
  }
  if (exception instanceof BadRequestError) {
    const body: ErrorResponse = { error: 'bad_request', message: exception.message };
    if (exception.field) body.field = exception.field;
    return { status: HttpStatus.BAD_REQUEST, body };
  }
  if (exception instanceof ImagePolicyRefusedError) {
    const { message, field, rule } = exception;
    return {
      status: HttpStatus.UNPROCESSABLE_ENTITY,
      body: { error: 'image_policy', message, field, rule } satisfies ErrorResponse,
    };
  }
  if (exception instanceof PolicyRefusedError) {
    const { message, field, rule } = exception;
    return { status: HttpStatus.FORBIDDEN, body: { error: 'forbidden', message, field, rule } satisfies ErrorResponse };
  }
  if (exception instanceof TooManyRequestsError) {
    return {
      status: HttpStatus.TOO_MANY_REQUESTS,
      body: { error: 'too_many_requests', message: exception.message },
      retryAfterSeconds: exception.retryAfterSeconds,
    };
  }
  if (exception instanceof VolumeGuardError) {
    const { volume, family, containers, lastUsedAt } = exception.conflict;
    return {
      status: HttpStatus.CONFLICT,
      body: {
        error: 'volume_family',
        message: exception.message,
        field: 'params.mounts',
        volumeUse: { volume, family, containers, lastUsedAt: lastUsedAt.toISOString() },
      },
    };
  }
  if (exception instanceof AmbiguousError) {
    return {
      status: HttpStatus.CONFLICT,
      body: { error: 'ambiguous', message: exception.message, candidates: exception.candidates },
    };
  }
  for (const [type, status] of DOMAIN_STATUS) {
    if (exception instanceof type) return { status, body: { error: codeFor(status), message: exception.message } };
  }
  if (exception instanceof HttpException) return fromHttpException(exception);
  return {
    status: HttpStatus.INTERNAL_SERVER_ERROR,
    body: { error: 'internal', message: 'internal error; the controller log has the detail' },
  };
}

interface HttpReply {
  setHeader(name: string, value: string): void;
  status(code: number): { json(body: unknown): void };
}

interface HttpRequest {
  method?: string;
  url?: string;
}

@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = toErrorReply(exception);
    if (reply.status >= 500) {
      const req = http.getRequest<HttpRequest>();
      const detail = exception instanceof Error ? (exception.stack ?? exception.message) : String(exception);
      this.logger.error(`${req.method} ${req.url} failed: ${detail}`);
    }
    const res = http.getResponse<HttpReply>();
    if (reply.status === HttpStatus.UNAUTHORIZED) res.setHeader('WWW-Authenticate', 'Bearer realm="corral"');
    if (reply.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(reply.retryAfterSeconds));
    // An oversized body may still be arriving: close the connection rather than read the rest.
    if (reply.status === HttpStatus.PAYLOAD_TOO_LARGE) res.setHeader('Connection', 'close');
    res.status(reply.status).json(reply.body);
  }
}
