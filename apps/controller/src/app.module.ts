import { type DynamicModule, Module } from '@nestjs/common';
import type { Config } from './config/config.js';
import { HealthController } from './controllers/health.controller.js';
import { AgentGateway } from './gateways/agent.gateway.js';
import type { PrismaClient } from './generated/prisma/client.js';
import { systemClock } from './repositories/clock.repository.js';
import { HostRepository } from './repositories/host.repository.js';
import { InventoryRepository } from './repositories/inventory.repository.js';
import { CLOCK, CONFIG, DATABASE, PRISMA } from './repositories/tokens.js';
import { AgentSessionService } from './services/agent-session.service.js';
import { ConnectedHosts } from './services/connected-hosts.js';
import { HostStatusService } from './services/host-status.service.js';
import { InventoryService } from './services/inventory.service.js';

export interface DatabaseHandle {
  url: string;
  migrationsDir: string;
}

export interface AppOptions {
  config: Config;
  database: DatabaseHandle;
  prisma: PrismaClient;
}

@Module({})
export class AppModule {
  static register(options: AppOptions): DynamicModule {
    return {
      module: AppModule,
      controllers: [HealthController],
      providers: [
        { provide: CONFIG, useValue: options.config },
        { provide: DATABASE, useValue: options.database },
        { provide: PRISMA, useValue: options.prisma },
        { provide: CLOCK, useValue: systemClock },
        HostRepository,
        InventoryRepository,
        InventoryService,
        ConnectedHosts,
        AgentSessionService,
        HostStatusService,
        AgentGateway,
      ],
    };
  }
}
