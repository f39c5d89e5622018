import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { apiComponentSchemas } from './dtos/api-schemas.js';

export function setupOpenApi(app: INestApplication): void {
  const config = new DocumentBuilder()
    .setTitle('Corral')
    .setDescription('Fleet inventory of Docker and LXC hosts, and remote operations on them.')
    .setVersion('1')
    .build();
  const document = SwaggerModule.createDocument(app, config);
  // Response schemas come from the zod DTOs; routes point at them with $ref.
  document.components = {
    ...document.components,
    schemas: { ...document.components?.schemas, ...apiComponentSchemas() },
  };
  SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/docs-json' });
}
