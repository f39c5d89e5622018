import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { z } from 'zod';
import type { ErrorResponse } from '../dtos/error.dto.js';
import { BadRequestError, NotFoundError } from '../services/errors.js';

export interface ErrorReply {
  status: number;
  body: ErrorResponse | Record<string, unknown>;
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
  503: 'unavailable',
};

const codeFor = (status: number) => ERROR_CODES[status] ?? `http_${status}`;

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

function fromHttpException(exception: HttpException): ErrorReply {
  const status = exception.getStatus();
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
  if (exception instanceof HttpException) return fromHttpException(exception);
  return {
    status: HttpStatus.INTERNAL_SERVER_ERROR,
    body: { error: 'internal', message: 'internal error; the controller log has the detail' },
  };
}

interface HttpReply {
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
    http.getResponse<HttpReply>().status(reply.status).json(reply.body);
  }
}
