import { HttpException, HttpStatus, NotFoundException } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  BadRequestError,
  ConflictError,
  NotFoundError,
  PayloadTooLargeError,
  UnprocessableError,
  UnsupportedMediaTypeError,
} from '../services/errors.js';
import { toErrorReply } from './http-exception.filter.js';

describe('toErrorReply', () => {
  const sut = toErrorReply;

  it('maps a zod error to 400 naming the first parameter at fault', () => {
    const error = z.strictObject({ limit: z.coerce.number().max(10) }).safeParse({ limit: '50', foo: '1' }).error!;
    const reply = sut(error);
    expect(reply.status).toBe(400);
    expect(reply.body).toEqual({
      error: 'bad_request',
      message: expect.stringMatching(/^limit: .*; unknown parameter foo$/),
      field: 'limit',
    });
  });

  it('maps domain errors', () => {
    expect(sut(new NotFoundError('no host with id x'))).toEqual({
      status: 404,
      body: { error: 'not_found', message: 'no host with id x' },
    });
    expect(sut(new BadRequestError('give one of a, b', 'kind'))).toEqual({
      status: 400,
      body: { error: 'bad_request', message: 'give one of a, b', field: 'kind' },
    });
  });

  it("rewrites Nest's own exceptions and keeps bodies a controller built on purpose", () => {
    expect(sut(new NotFoundException('Cannot GET /nope'))).toEqual({
      status: 404,
      body: { error: 'not_found', message: 'Cannot GET /nope' },
    });
    const custom = new HttpException(
      { status: 'not_ready', reason: 'database unreachable' },
      HttpStatus.SERVICE_UNAVAILABLE,
    );
    expect(sut(custom)).toEqual({ status: 503, body: { status: 'not_ready', reason: 'database unreachable' } });
  });

  it('answers 500 without detail for anything else', () => {
    const reply = sut(new Error('connection refused to 10.1.2.3 with password hunter2'));
    expect(reply.status).toBe(500);
    expect(reply.body).toEqual({ error: 'internal', message: expect.any(String) });
    expect(JSON.stringify(reply.body)).not.toContain('hunter2');
  });

  it('maps the command errors', () => {
    expect(sut(new UnprocessableError('lxc containers cannot pause; use freeze'))).toEqual({
      status: 422,
      body: { error: 'unprocessable', message: 'lxc containers cannot pause; use freeze' },
    });
    expect(sut(new ConflictError('command x already ended as succeeded')).status).toBe(409);
    expect(sut(new PayloadTooLargeError('too big')).body).toEqual({ error: 'payload_too_large', message: 'too big' });
    expect(sut(new UnsupportedMediaTypeError('send JSON')).status).toBe(415);
  });

  it("rewrites the body parser's errors to say what is wrong", () => {
    const tooLarge = new HttpException('request entity too large', 413, {
      cause: { type: 'entity.too.large', limit: 1048576 },
    });
    expect(sut(tooLarge)).toEqual({
      status: 413,
      body: { error: 'payload_too_large', message: 'request body is larger than the limit of 1048576 bytes' },
    });
    const badJson = new HttpException('Unexpected end of JSON input', 400, { cause: { type: 'entity.parse.failed' } });
    expect(sut(badJson)).toEqual({
      status: 400,
      body: { error: 'bad_request', message: 'body is not valid JSON: Unexpected end of JSON input', field: 'body' },
    });
  });
});
