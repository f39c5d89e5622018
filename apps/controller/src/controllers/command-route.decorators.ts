import { COMMAND_PARAMS, type CommandOp, opSpec } from '@corral/protocol';
import {
  applyDecorators,
  type CallHandler,
  createParamDecorator,
  type ExecutionContext,
  Injectable,
  type NestInterceptor,
  SetMetadata,
  UseInterceptors,
} from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBody,
  ApiConflictResponse,
  ApiConsumes,
  ApiForbiddenResponse,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiPayloadTooLargeResponse,
  ApiTags,
  ApiUnprocessableEntityResponse,
  ApiUnsupportedMediaTypeResponse,
} from '@nestjs/swagger';
import { map, type Observable } from 'rxjs';
import { z } from 'zod';
import { queryParamSchema, schemaRef } from '../dtos/api-schemas.js';
import { DeadlineParamSchema } from '../dtos/command.dto.js';
import type { CommandOutcome, CommandRequest } from '../services/command.service.js';
import { BadRequestError, UnsupportedMediaTypeError } from '../services/errors.js';
import { type Principal, requestedByOf } from '../services/principal.js';
import { ApiZodQuery } from './api-docs.decorators.js';
import { RequireRole } from './auth.decorators.js';
import { commandBodySchema, commandQuerySchema } from './op-route.schemas.js';

export const COMMAND_OP = 'corral:command-op';

interface Request {
  headers: Record<string, string | string[] | undefined>;
  principal?: Principal;
  query?: unknown;
  body?: unknown;
}

interface Response {
  status(code: number): unknown;
  setHeader(name: string, value: string): unknown;
}

const IdempotencyKeySchema = z
  .string()
  .regex(/^[\x21-\x7e]{1,255}$/, 'Idempotency-Key must be 1 to 255 visible ASCII characters');

// Publishes the route of `op` as the registry describes it: 202 + Location, ?wait, ?deadline,
// Idempotency-Key, the role it needs, and every answer it can give.
export function CommandRoute(op: CommandOp) {
  const spec = opSpec(op);
  const body = commandBodySchema(op);
  const upload = spec.route.paramsFrom === 'upload';
  return applyDecorators(
    SetMetadata(COMMAND_OP, op),
    RequireRole(spec.role),
    ApiTags(spec.route.tag),
    ApiOperation({
      operationId: op,
      summary: spec.summary,
      description: `${spec.description ? `${spec.description}\n\n` : ''}Issues a \`${op}\` command and answers 202 with it; follow its \`url\`, or pass \`?wait=<seconds>\`. Needs the ${spec.role} role.`,
    }),
    ...Object.entries(spec.route.pathParams).map(([name, description]) =>
      ApiParam({ name, description, schema: pathParamSchema(op, name) }),
    ),
    ApiZodQuery(commandQuerySchema(op)),
    ApiHeader({
      name: 'Idempotency-Key',
      required: false,
      description: 'a retry with the same key returns the first command (200) instead of making another',
      schema: { type: 'string', pattern: '^[\\x21-\\x7e]{1,255}$' },
    }),
    ...(body
      ? [
          ApiBody({
            description: `parameters of ${op}`,
            required: !body.safeParse({}).success,
            schema: bodySchema(body),
          }),
        ]
      : []),
    ...(upload
      ? [
          ApiConsumes(...(spec.route.uploadTypes ?? ['application/octet-stream'])),
          ApiBody({ description: 'the file itself, streamed', schema: { type: 'string', format: 'binary' } }),
          ApiPayloadTooLargeResponse({
            description: 'larger than CORRAL_MAX_UPLOAD_BYTES',
            schema: schemaRef('Error'),
          }),
        ]
      : []),
    ApiAcceptedResponse({
      description: 'the command; the Location header holds its URL',
      schema: schemaRef('Command'),
      headers: { Location: { description: '/api/v1/commands/{id}', schema: { type: 'string' } } },
    }),
    ApiOkResponse({
      description: 'a retry with a known Idempotency-Key: the first command',
      schema: schemaRef('Command'),
    }),
    ApiBadRequestResponse({
      description: 'a parameter is malformed or unknown; `field` names it',
      schema: schemaRef('Error'),
    }),
    ApiNotFoundResponse({ description: 'nothing has this id or name', schema: schemaRef('Error') }),
    ApiConflictResponse({
      description: 'the name fits several rows; `candidates` lists them',
      schema: schemaRef('Error'),
    }),
    ApiForbiddenResponse({
      description: `the token's role is below ${spec.role}${
        op === 'container.create'
          ? "; or the host's create policy refuses the spec (`rule` and `field` say what to ask an admin for)"
          : ''
      }`,
      schema: schemaRef('Error'),
    }),
    ApiUnsupportedMediaTypeResponse({
      description: upload ? 'not one of the content types above' : 'a body that is not application/json',
      schema: schemaRef('Error'),
    }),
    ApiUnprocessableEntityResponse({
      description:
        'the target cannot do this (e.g. lxc containers cannot pause), or the key was used for another request',
      schema: schemaRef('Error'),
    }),
    UseInterceptors(CommandReplyInterceptor),
  );
}

// The target ({id}, {host}) is resolved from 1 to 512 characters; any other path parameter is the
// op's param of that name, with its own bounds.
function pathParamSchema(op: CommandOp, name: string): Record<string, unknown> {
  if (name === 'id' || name === 'host') return { type: 'string', minLength: 1, maxLength: 512 };
  const field = (COMMAND_PARAMS[op] as unknown as z.ZodObject).shape[name] as z.ZodType;
  const { description: _, ...schema } = queryParamSchema(field);
  return schema;
}

// The body schema as OpenAPI shows it: what the client sends, with the shared deadlineSeconds.
function bodySchema(schema: z.ZodType): Record<string, unknown> {
  const deadline = z.object({ deadlineSeconds: DeadlineParamSchema });
  const withDeadline = schema instanceof z.ZodObject ? schema.extend(deadline.shape) : z.intersection(schema, deadline);
  return queryParamSchema(withDeadline);
}

export interface CommandInputValue {
  // The JSON body without deadlineSeconds ({} when there is none).
  body: Record<string, unknown>;
  // The route's own query parameters, parsed (wait and deadline taken out).
  query: Record<string, unknown>;
  request: CommandRequest;
}

// Parses what the route of `op` takes: query (strict), JSON body, Idempotency-Key.
export const CommandInput = createParamDecorator((op: CommandOp, ctx: ExecutionContext): CommandInputValue => {
  const req = ctx.switchToHttp().getRequest<Request>();
  const from = opSpec(op).route.paramsFrom;
  const { wait, deadline, ...query } = commandQuerySchema(op).parse(req.query ?? {}) as {
    wait: number;
    deadline?: number;
  } & Record<string, unknown>;
  const { deadlineSeconds, ...body } = from === 'upload' ? {} : jsonBody(req);
  if (from !== 'body' && Object.keys(body).length > 0) {
    throw new BadRequestError(`this route takes no body; got ${Object.keys(body).join(', ')}`, 'body');
  }
  const bodyDeadline = deadlineSeconds === undefined ? undefined : DeadlineParamSchema.safeParse(deadlineSeconds);
  if (bodyDeadline && !bodyDeadline.success) {
    throw new BadRequestError(`deadlineSeconds: ${bodyDeadline.error.issues[0]?.message}`, 'deadlineSeconds');
  }
  const key = req.headers['idempotency-key'];
  let idempotencyKey: string | null = null;
  if (key !== undefined) {
    const parsed = IdempotencyKeySchema.safeParse(key);
    if (!parsed.success) throw new BadRequestError(parsed.error.issues[0]!.message, 'Idempotency-Key');
    idempotencyKey = parsed.data;
  }
  return {
    body,
    query,
    request: {
      wait,
      deadlineSeconds: deadline ?? bodyDeadline?.data ?? null,
      idempotencyKey,
      requestedBy: requestedByOf(req.principal),
    },
  };
});

function jsonBody(req: Request): Record<string, unknown> {
  const body: unknown = req.body;
  if (body === undefined || body === null) {
    const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
    if (hasBody) throw new UnsupportedMediaTypeError('send the body as application/json');
    return {};
  }
  if (typeof body !== 'object' || Array.isArray(body)) throw new BadRequestError('body must be a JSON object', 'body');
  return body as Record<string, unknown>;
}

// 202 for a new command, 200 for an Idempotency-Key retry; Location points at the command either way.
@Injectable()
export class CommandReplyInterceptor implements NestInterceptor {
  intercept(ctx: ExecutionContext, next: CallHandler<CommandOutcome>): Observable<unknown> {
    const res = ctx.switchToHttp().getResponse<Response>();
    return next.handle().pipe(
      map((outcome) => {
        res.status(outcome.created ? 202 : 200);
        res.setHeader('Location', outcome.command.url);
        return outcome.command;
      }),
    );
  }
}
