import { HttpException, HttpStatus, NotFoundException } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { BadRequestError, NotFoundError } from '../services/errors.js';
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
});
