import { type DynamicModule, Module, type Provider } from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import type { Pool } from 'pg';
import { ClusterChannel } from './cluster/cluster-channel.js';
import { EventLog } from './cluster/event-log.js';
import { EventRetention } from './cluster/event-retention.js';
import { LeaderLease } from './cluster/leader-lease.js';
import { PlacementRouter } from './cluster/placement-router.js';
import { ReplicaService } from './cluster/replica.service.js';
import { ReplicaForwarder } from './cluster/replica-forwarder.js';
import { ReplicaLocator } from './cluster/replica-locator.js';
import { ReplicaSecret } from './cluster/replica-secret.service.js';
import { RoutedStreamRelay } from './cluster/routed-stream-relay.js';
import type { Config } from './config/config.js';
import { AuditController } from './controllers/audit.controller.js';
import { AuditInterceptor } from './controllers/audit.interceptor.js';
import { AuthGuard } from './controllers/auth.guard.js';
import { BridgesController } from './controllers/bridges.controller.js';
import { CommandsController } from './controllers/commands.controller.js';
import { ContainerMoveController } from './controllers/container-move.controller.js';
import { ContainersController } from './controllers/containers.controller.js';
import { DoctorController } from './controllers/doctor.controller.js';
import { EnrollController } from './controllers/enroll.controller.js';
import { EnrollmentTokensController } from './controllers/enrollment-tokens.controller.js';
import { EventsController } from './controllers/events.controller.js';
import { FleetController } from './controllers/fleet.controller.js';
import { HealthController } from './controllers/health.controller.js';
import { HostAccessController } from './controllers/host-access.controller.js';
import { HostIdentityController } from './controllers/host-identity.controller.js';
import { HostSchedulingController } from './controllers/host-scheduling.controller.js';
import { HostsController } from './controllers/hosts.controller.js';
import { ImageTransferController } from './controllers/image-transfer.controller.js';
import { ImagesController } from './controllers/images.controller.js';
import { InternalPlacementsController } from './controllers/internal-placements.controller.js';
import { IpController } from './controllers/ip.controller.js';
import { LeasesController } from './controllers/leases.controller.js';
import { MetricsController } from './controllers/metrics.controller.js';
import { NetworksController } from './controllers/networks.controller.js';
import { OpRoutesController } from './controllers/op-routes.controller.js';
import { PlacementsController } from './controllers/placements.controller.js';
import { PoliciesController } from './controllers/policies.controller.js';
import { RegistriesController } from './controllers/registries.controller.js';
import { SessionController } from './controllers/session.controller.js';
import { TextInputGuard } from './controllers/text-input.guard.js';
import { TokensController } from './controllers/tokens.controller.js';
import { UploadsController } from './controllers/uploads.controller.js';
import { ViewerRedactionInterceptor } from './controllers/viewer-redaction.interceptor.js';
import { VolumesController } from './controllers/volumes.controller.js';
import { createKysely } from './database/kysely.js';
import { createPgPool, OwnedPgPool } from './database/pg-pool.js';
import { AgentGateway } from './gateways/agent.gateway.js';
import { ContainerStreamGateway } from './gateways/container-stream.gateway.js';
import { InternalStreamGateway } from './gateways/internal-stream.gateway.js';
import type { PrismaClient } from './generated/prisma/client.js';
import { AgentConnectRepository } from './repositories/agent-connect.repository.js';
import { ApiTokenRepository } from './repositories/api-token.repository.js';
import { AuditRepository } from './repositories/audit.repository.js';
import { systemClock } from './repositories/clock.repository.js';
import { ClusterRepository } from './repositories/cluster.repository.js';
import { CommandRepository } from './repositories/command.repository.js';
import { CommandLimitsRepository } from './repositories/command-limits.repository.js';
import { ContainerMoveRepository } from './repositories/container-move.repository.js';
import { DoctorRepository } from './repositories/doctor.repository.js';
import { EnrollmentRepository } from './repositories/enrollment.repository.js';
import { EventLogRepository } from './repositories/event-log.repository.js';
import { FleetQueryRepository } from './repositories/fleet-query.repository.js';
import { HealthRepository } from './repositories/health.repository.js';
import { HeartbeatRepository } from './repositories/heartbeat.repository.js';
import { HostRepository } from './repositories/host.repository.js';
import { HostIdentityRepository } from './repositories/host-identity.repository.js';
import { ImageOriginRepository } from './repositories/image-origin.repository.js';
import { ImagePolicyRepository } from './repositories/image-policy.repository.js';
import { InventoryRepository } from './repositories/inventory.repository.js';
import { InventoryQueryRepository } from './repositories/inventory-query.repository.js';
import { IpLookupRepository } from './repositories/ip-lookup.repository.js';
import { MetricsRepository } from './repositories/metrics.repository.js';
import { PlacementRepository } from './repositories/placement.repository.js';
import { PolicyRepository } from './repositories/policy.repository.js';
import { RegistryRepository } from './repositories/registry.repository.js';
import { ResourceLookupRepository } from './repositories/resource-lookup.repository.js';
import { SchedulingRepository } from './repositories/scheduling.repository.js';
import { TokenStateRepository } from './repositories/token-state.repository.js';
import { CLOCK, CONFIG, DATABASE, KYSELY, PG_POOL, PRISMA } from './repositories/tokens.js';
import { UploadRepository } from './repositories/upload.repository.js';
import { UploadOwnerRepository } from './repositories/upload-owner.repository.js';
import { VolumeUseRepository } from './repositories/volume-use.repository.js';
import { WebSessionRepository } from './repositories/web-session.repository.js';
import { AgentSessionService } from './services/agent-session.service.js';
import { ApiTokenService } from './services/api-token.service.js';
import { AuditService } from './services/audit.service.js';
import { CommandService } from './services/command.service.js';
import { CommandDispatchService } from './services/command-dispatch.service.js';
import { CommandLifecycle } from './services/command-lifecycle.js';
import { CommandNotifier } from './services/command-notifier.js';
import { ConnectedHosts } from './services/connected-hosts.js';
import { ContainerMoveService } from './services/container-move.service.js';
import { CreatePolicyService } from './services/create-policy.service.js';
import { DoctorQueryService } from './services/doctor-query.service.js';
import { EnrollmentService } from './services/enrollment.service.js';
import { EventBus } from './services/event-bus.js';
import { EventStreamService } from './services/event-stream.service.js';
import { FleetQueryService } from './services/fleet-query.service.js';
import { HeartbeatRecorder } from './services/heartbeat-recorder.js';
import { HostAccessService } from './services/host-access.service.js';
import { HostIdentityService } from './services/host-identity.service.js';
import { HostQueryService } from './services/host-query.service.js';
import { HostSchedulingService } from './services/host-scheduling.service.js';
import { HostStatusService } from './services/host-status.service.js';
import { ImageCopyService } from './services/image-copy.service.js';
import { ImageOriginService } from './services/image-origin.service.js';
import { ImageTransferService } from './services/image-transfer.service.js';
import { InventoryService } from './services/inventory.service.js';
import { InventoryQueryService } from './services/inventory-query.service.js';
import { IpLookupService } from './services/ip-lookup.service.js';
import { LocalStreamRelay } from './services/local-stream-relay.js';
import { MetricsService } from './services/metrics.service.js';
import { MetricsSources } from './services/metrics-sources.js';
import { PlacementService } from './services/placement.service.js';
import { PlacementWriter } from './services/placement-writer.js';
import { RegistryService } from './services/registry.service.js';
import { RequestLimiter } from './services/request-limits.js';
import { ResourceResolver } from './services/resource-resolver.js';
import { ResultCapService } from './services/result-cap.js';
import { SchedulerIndexService } from './services/scheduler-index.service.js';
import { StreamAccessService } from './services/stream-access.service.js';
import { STREAM_RELAY } from './services/stream-relay.js';
import { UploadService } from './services/upload.service.js';
import { UploadAccessService } from './services/upload-access.service.js';
import { VolumeHistoryService } from './services/volume-history.service.js';
import { WebSessionService } from './services/web-session.service.js';

export interface DatabaseHandle {
  url: string;
  migrationsDir: string;
}

export interface AppOptions {
  config: Config;
  database: DatabaseHandle;
  prisma: PrismaClient;
  // The pool of the bulk ingest path; made from database.url (and ended with the app) when absent.
  pool?: Pool;
  // The built web view served at `/` (default: apps/web/dist beside the controller).
  webDir?: string;
}

@Module({})
export class AppModule {
  static register(options: AppOptions): DynamicModule {
    const pool: Provider[] = options.pool
      ? [{ provide: PG_POOL, useValue: options.pool }]
      : [{ provide: PG_POOL, useFactory: () => createPgPool(options.database.url) }, OwnedPgPool];
    return {
      module: AppModule,
      // Express tries routes in this order, one pattern at a time: the routes taken many times a
      // second come first, placements and then the command routes of the op registry. No two
      // controllers share a method and path (custom op routes are their own controllers'), so the
      // order changes only how soon a request finds its route.
      controllers: [
        PlacementsController,
        InternalPlacementsController,
        OpRoutesController,
        HealthController,
        HostsController,
        ContainersController,
        ImagesController,
        ImageTransferController,
        ContainerMoveController,
        VolumesController,
        NetworksController,
        BridgesController,
        LeasesController,
        DoctorController,
        FleetController,
        IpController,
        EventsController,
        CommandsController,
        UploadsController,
        HostSchedulingController,
        TokensController,
        EnrollmentTokensController,
        EnrollController,
        HostAccessController,
        AuditController,
        PoliciesController,
        RegistriesController,
        HostIdentityController,
        SessionController,
        MetricsController,
      ],
      providers: [
        { provide: CONFIG, useValue: options.config },
        { provide: DATABASE, useValue: options.database },
        { provide: PRISMA, useValue: options.prisma },
        { provide: CLOCK, useValue: systemClock },
        MetricsService,
        MetricsRepository,
        MetricsSources,
        ...pool,
        // Kysely over that pool; the pool's owner ends it (Kysely's destroy() would end the pool too).
        { provide: KYSELY, useFactory: (p: Pool) => createKysely(p), inject: [PG_POOL] },
        // Several controllers on one database: this replica, the channel replicas notify each
        // other on, and the lease of the jobs one replica runs at a time.
        ClusterRepository,
        ReplicaService,
        ReplicaSecret,
        ReplicaLocator,
        ReplicaForwarder,
        PlacementRouter,
        ClusterChannel,
        LeaderLease,
        HealthRepository,
        HeartbeatRepository,
        HostRepository,
        AgentConnectRepository,
        InventoryRepository,
        VolumeUseRepository,
        InventoryService,
        ConnectedHosts,
        AgentSessionService,
        HeartbeatRecorder,
        HostStatusService,
        AgentGateway,
        InventoryQueryRepository,
        FleetQueryRepository,
        DoctorRepository,
        DoctorQueryService,
        VolumeHistoryService,
        IpLookupRepository,
        InventoryQueryService,
        HostQueryService,
        FleetQueryService,
        IpLookupService,
        EventBus,
        // Every replica's events, durable in Postgres: what the event streams serve.
        EventLogRepository,
        EventLog,
        EventRetention,
        EventStreamService,
        CommandRepository,
        UploadRepository,
        ImageOriginRepository,
        ImageOriginService,
        ImageTransferService,
        ImageCopyService,
        ContainerMoveRepository,
        ContainerMoveService,
        CommandNotifier,
        CommandLifecycle,
        CommandDispatchService,
        CommandService,
        UploadService,
        ResourceLookupRepository,
        ResourceResolver,
        SchedulingRepository,
        PlacementRepository,
        PlacementService,
        SchedulerIndexService,
        PlacementWriter,
        HostSchedulingService,
        ApiTokenRepository,
        EnrollmentRepository,
        AuditRepository,
        ApiTokenService,
        EnrollmentService,
        HostAccessService,
        AuditService,
        WebSessionRepository,
        WebSessionService,
        // Interactive exec and log follow: through this process's agent socket, or relayed to the
        // replica holding the host's agent (which takes them on InternalStreamGateway).
        TokenStateRepository,
        StreamAccessService,
        LocalStreamRelay,
        RoutedStreamRelay,
        { provide: STREAM_RELAY, useExisting: RoutedStreamRelay },
        ContainerStreamGateway,
        InternalStreamGateway,
        PolicyRepository,
        CreatePolicyService,
        RegistryRepository,
        RegistryService,
        ImagePolicyRepository,
        HostIdentityRepository,
        HostIdentityService,
        TokenStateRepository,
        StreamAccessService,
        RequestLimiter,
        CommandLimitsRepository,
        ResultCapService,
        UploadOwnerRepository,
        UploadAccessService,
        // Every route, including ones added later, is behind the guard; every change is audited.
        { provide: APP_GUARD, useClass: AuthGuard },
        // Then NUL and broken characters in any field: 400 naming it.
        { provide: APP_GUARD, useClass: TextInputGuard },
        { provide: APP_INTERCEPTOR, useClass: AuditInterceptor },
        // Viewers never get sensitive params, output or output-carrying results of commands.
        { provide: APP_INTERCEPTOR, useClass: ViewerRedactionInterceptor },
      ],
    };
  }
}
