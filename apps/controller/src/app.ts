import { type INestApplication, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { WsAdapter } from '@nestjs/platform-ws';
import { createAppLogger } from './app.logger.js';
import { AppModule, type AppOptions } from './app.module.js';
import { loadTlsMaterial } from './config/tls.js';
import { JSON_BODY_LIMIT_BYTES, requireJsonBodies } from './controllers/content-type.middleware.js';
import { HttpExceptionFilter } from './controllers/http-exception.filter.js';
import { DEFAULT_WEB_DIR, serveWebAssets } from './controllers/web-assets.js';
import { setupOpenApi } from './openapi.js';
import { requestIds } from './request-context.js';

// Builds the Nest application without listening, so tests and main.ts share the exact same wiring.
export async function createApp(options: AppOptions): Promise<INestApplication> {
  // HTTPS and WSS on the one port when a certificate is configured (checked here, at start).
  const tls = options.config.tls ? loadTlsMaterial(options.config.tls) : null;
  const app = await NestFactory.create<NestExpressApplication>(AppModule.register(options), {
    logger: createAppLogger(options.config),
    // JSON only (below): a form-encoded body gets 415 from requireJsonBodies, not a misparse.
    bodyParser: false,
    ...(tls ? { httpsOptions: { cert: tls.cert, key: tls.key } } : {}),
  });
  // No ETag on API answers: Express would hash every body it sends (a SHA-1 per request) for
  // conditional GETs no client of this API makes. The web view's files keep theirs (serve-static).
  app.set('etag', false);
  // Nor does an answer say which framework made it.
  app.disable('x-powered-by');
  // First, so every later middleware, guard and handler logs with the request's id.
  app.use(requestIds());
  // Command bodies are small; image tarballs are not JSON and stream past this parser.
  app.use(requireJsonBodies);
  app.useBodyParser('json', { limit: JSON_BODY_LIMIT_BYTES });
  // Frames are parsed and validated by the gateway itself so bad ones get an error frame, not silence.
  app.useWebSocketAdapter(new WsAdapter(app, { messageParser: () => undefined }));
  app.useGlobalFilters(new HttpExceptionFilter());
  setupOpenApi(app);
  serveWebAssets(app, options.webDir ?? DEFAULT_WEB_DIR, new Logger('Web'));
  return app;
}
