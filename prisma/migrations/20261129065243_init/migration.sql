-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateEnum
CREATE TYPE "HostStatus" AS ENUM ('online', 'offline');

-- CreateTable
CREATE TABLE "Host" (
    "id" UUID NOT NULL,
    "agentId" TEXT NOT NULL,
    "hostname" TEXT NOT NULL,
    "status" "HostStatus" NOT NULL DEFAULT 'offline',
    "agentVersion" TEXT,
    "protocolVersion" TEXT,
    "lastSeq" BIGINT NOT NULL DEFAULT 0,
    "facts" JSONB,
    "runtimes" JSONB NOT NULL DEFAULT '[]',
    "load" JSONB,
    "labels" JSONB NOT NULL DEFAULT '{}',
    "connectedAt" TIMESTAMPTZ(3),
    "lastSeenAt" TIMESTAMPTZ(3),
    "offlineAt" TIMESTAMPTZ(3),
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "Host_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Container" (
    "id" UUID NOT NULL,
    "hostId" UUID NOT NULL,
    "key" TEXT NOT NULL,
    "runtime" TEXT NOT NULL,
    "engineId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "lxcPath" TEXT,
    "image" TEXT,
    "imageId" TEXT,
    "command" TEXT,
    "state" TEXT NOT NULL,
    "status" TEXT,
    "createdAt" TIMESTAMPTZ(3),
    "startedAt" TIMESTAMPTZ(3),
    "labels" JSONB NOT NULL DEFAULT '{}',
    "labelText" TEXT NOT NULL DEFAULT '',
    "ports" JSONB NOT NULL DEFAULT '[]',
    "mounts" JSONB NOT NULL DEFAULT '[]',
    "networks" JSONB NOT NULL DEFAULT '[]',
    "ipv4" TEXT[],
    "ipv6" TEXT[],
    "macs" TEXT[],
    "restartPolicy" TEXT,
    "pid" INTEGER,
    "autostart" BOOLEAN,
    "groups" TEXT[],
    "memoryBytes" BIGINT,
    "observedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Container_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Image" (
    "id" UUID NOT NULL,
    "hostId" UUID NOT NULL,
    "key" TEXT NOT NULL,
    "engineId" TEXT NOT NULL,
    "tags" TEXT[],
    "sizeBytes" BIGINT NOT NULL,
    "createdAt" TIMESTAMPTZ(3),
    "labels" JSONB NOT NULL DEFAULT '{}',
    "labelText" TEXT NOT NULL DEFAULT '',
    "observedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Image_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Volume" (
    "id" UUID NOT NULL,
    "hostId" UUID NOT NULL,
    "key" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "driver" TEXT NOT NULL,
    "mountpoint" TEXT,
    "labels" JSONB NOT NULL DEFAULT '{}',
    "labelText" TEXT NOT NULL DEFAULT '',
    "createdAt" TIMESTAMPTZ(3),
    "usedBy" TEXT[],
    "observedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Volume_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Network" (
    "id" UUID NOT NULL,
    "hostId" UUID NOT NULL,
    "key" TEXT NOT NULL,
    "engineId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "driver" TEXT NOT NULL,
    "scope" TEXT,
    "subnets" TEXT[],
    "gateways" TEXT[],
    "bridge" TEXT,
    "internal" BOOLEAN NOT NULL DEFAULT false,
    "labels" JSONB NOT NULL DEFAULT '{}',
    "labelText" TEXT NOT NULL DEFAULT '',
    "createdAt" TIMESTAMPTZ(3),
    "observedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Network_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Bridge" (
    "id" UUID NOT NULL,
    "hostId" UUID NOT NULL,
    "key" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "mac" TEXT,
    "state" TEXT NOT NULL,
    "up" BOOLEAN NOT NULL,
    "mtu" INTEGER NOT NULL,
    "addresses" JSONB NOT NULL DEFAULT '[]',
    "ips" TEXT[],
    "stp" BOOLEAN NOT NULL,
    "interfaces" TEXT[],
    "observedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Bridge_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Lease" (
    "id" UUID NOT NULL,
    "hostId" UUID NOT NULL,
    "key" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "bridge" TEXT,
    "expiresAt" TIMESTAMPTZ(3),
    "mac" TEXT NOT NULL,
    "ip" TEXT NOT NULL,
    "hostname" TEXT,
    "clientId" TEXT,
    "observedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Lease_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Host_agentId_key" ON "Host"("agentId");

-- CreateIndex
CREATE INDEX "Host_hostname_idx" ON "Host"("hostname");

-- CreateIndex
CREATE INDEX "Host_status_idx" ON "Host"("status");

-- CreateIndex
CREATE INDEX "Container_name_id_idx" ON "Container"("name", "id");

-- CreateIndex
CREATE INDEX "Container_runtime_state_idx" ON "Container"("runtime", "state");

-- CreateIndex
CREATE INDEX "Container_ipv4_idx" ON "Container" USING GIN ("ipv4");

-- CreateIndex
CREATE INDEX "Container_macs_idx" ON "Container" USING GIN ("macs");

-- CreateIndex
CREATE UNIQUE INDEX "Container_hostId_key_key" ON "Container"("hostId", "key");

-- CreateIndex
CREATE INDEX "Image_engineId_idx" ON "Image"("engineId");

-- CreateIndex
CREATE UNIQUE INDEX "Image_hostId_key_key" ON "Image"("hostId", "key");

-- CreateIndex
CREATE INDEX "Volume_name_id_idx" ON "Volume"("name", "id");

-- CreateIndex
CREATE UNIQUE INDEX "Volume_hostId_key_key" ON "Volume"("hostId", "key");

-- CreateIndex
CREATE INDEX "Network_name_id_idx" ON "Network"("name", "id");

-- CreateIndex
CREATE UNIQUE INDEX "Network_hostId_key_key" ON "Network"("hostId", "key");

-- CreateIndex
CREATE INDEX "Bridge_name_id_idx" ON "Bridge"("name", "id");

-- CreateIndex
CREATE INDEX "Bridge_ips_idx" ON "Bridge" USING GIN ("ips");

-- CreateIndex
CREATE UNIQUE INDEX "Bridge_hostId_key_key" ON "Bridge"("hostId", "key");

-- CreateIndex
CREATE INDEX "Lease_ip_idx" ON "Lease"("ip");

-- CreateIndex
CREATE INDEX "Lease_mac_idx" ON "Lease"("mac");

-- CreateIndex
CREATE UNIQUE INDEX "Lease_hostId_key_key" ON "Lease"("hostId", "key");

-- AddForeignKey
ALTER TABLE "Container" ADD CONSTRAINT "Container_hostId_fkey" FOREIGN KEY ("hostId") REFERENCES "Host"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Image" ADD CONSTRAINT "Image_hostId_fkey" FOREIGN KEY ("hostId") REFERENCES "Host"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Volume" ADD CONSTRAINT "Volume_hostId_fkey" FOREIGN KEY ("hostId") REFERENCES "Host"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Network" ADD CONSTRAINT "Network_hostId_fkey" FOREIGN KEY ("hostId") REFERENCES "Host"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Bridge" ADD CONSTRAINT "Bridge_hostId_fkey" FOREIGN KEY ("hostId") REFERENCES "Host"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Lease" ADD CONSTRAINT "Lease_hostId_fkey" FOREIGN KEY ("hostId") REFERENCES "Host"("id") ON DELETE CASCADE ON UPDATE CASCADE;
