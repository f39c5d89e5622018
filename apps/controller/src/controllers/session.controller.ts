import { Body, Controller, Delete, Get, HttpCode, Post, Req, Res } from '@nestjs/common';
import {
  ApiBody,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { queryParamSchema, schemaRef } from '../dtos/api-schemas.js';
import { type CreateSession, CreateSessionSchema } from '../dtos/session.dto.js';
import { WebSessionService } from '../services/web-session.service.js';
import { type AuthenticatedRequest, Public, RequireRole } from './auth.decorators.js';
import { ZodValidationPipe } from './zod-validation.pipe.js';

interface CookieResponse {
  setHeader(name: string, value: string): unknown;
}

// The web page signs in here: an API token in, an HttpOnly session cookie out.
@ApiTags('access')
@Controller('api/v1/session')
export class SessionController {
  constructor(private readonly sessions: WebSessionService) {}

  @Post()
  @Public()
  @HttpCode(201)
  @ApiOperation({
    summary: 'Sign in: trade an API token for a session cookie (HttpOnly, SameSite=Strict)',
    description:
      'The session acts as the token and ends with it (revoked, expired) or after 12 hours. Requests with ' +
      'the cookie that change something need the answer’s csrfToken in the X-Corral-CSRF header.',
  })
  @ApiBody({ schema: queryParamSchema(CreateSessionSchema) })
  @ApiCreatedResponse({
    description: 'signed in: the session; Set-Cookie carries its cookie',
    schema: schemaRef('Session'),
  })
  @ApiUnauthorizedResponse({ description: 'an unknown, revoked or expired token', schema: schemaRef('Error') })
  async create(
    @Body(new ZodValidationPipe(CreateSessionSchema)) body: CreateSession,
    @Req() req: AuthenticatedRequest,
    @Res({ passthrough: true }) res: CookieResponse,
  ) {
    const started = await this.sessions.start(body.token, req);
    req.principal = started.principal;
    res.setHeader('Set-Cookie', started.cookie);
    return started.session;
  }

  // Public: the page asks on every load whether it is signed in; the cookie is checked here, and a
  // visitor who is not signed in is no denied request for the audit log.
  @Get()
  @Public()
  @ApiOperation({ summary: 'The session of this cookie: its role, expiry and CSRF token' })
  @ApiOkResponse({ description: 'the session of this cookie', schema: schemaRef('Session') })
  @ApiUnauthorizedResponse({ description: 'no session cookie, or its session ended', schema: schemaRef('Error') })
  get(@Req() req: AuthenticatedRequest) {
    return this.sessions.describe(req);
  }

  @Delete()
  @RequireRole('viewer')
  @HttpCode(204)
  @ApiOperation({ summary: 'Sign out: the session ends and its cookie is cleared' })
  @ApiNoContentResponse({ description: 'signed out' })
  async remove(@Req() req: AuthenticatedRequest, @Res({ passthrough: true }) res: CookieResponse): Promise<void> {
    res.setHeader('Set-Cookie', await this.sessions.end(req));
  }
}
