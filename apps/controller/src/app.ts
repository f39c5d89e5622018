import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { WsAdapter } from '@nestjs/platform-ws';
import { AppModule, type AppOptions } from './app.module.js';
import { HttpExceptionFilter } from './controllers/http-exception.filter.js';
import { setupOpenApi } from './openapi.js';

// Builds the Nest application without listening, so tests and main.ts share the exact same wiring.
export async function createApp(options: AppOptions): Promise<INestApplication> {
  const app = await NestFactory.create(AppModule.register(options), {
    logger: loggerLevels(options.config.logLevel),
    bodyParser: true,
  });
  // Frames are parsed and validated by the gateway itself so bad ones get an error frame, not silence.
  app.useWebSocketAdapter(new WsAdapter(app, { messageParser: () => undefined }));
  app.useGlobalFilters(new HttpExceptionFilter());
  setupOpenApi(app);
  return app;
}

function loggerLevels(level: AppOptions['config']['logLevel']) {
  const all = ['fatal', 'error', 'warn', 'log', 'debug'] as const;
  const cut = { error: 2, warn: 3, info: 4, debug: 5 }[level];
  return all.slice(0, cut) as unknown as ('fatal' | 'error' | 'warn' | 'log' | 'debug')[];
}
