-- CreateEnum
CREATE TYPE "CommandStatus" AS ENUM ('pending', 'sent', 'running', 'succeeded', 'failed', 'timed_out', 'canceled');

-- CreateTable
CREATE TABLE "Command" (
    "id" UUID NOT NULL,
    "hostId" UUID NOT NULL,
    "op" TEXT NOT NULL,
    "target" JSONB NOT NULL,
    "targetKind" TEXT NOT NULL,
    "targetId" UUID,
    "params" JSONB NOT NULL,
    "status" "CommandStatus" NOT NULL DEFAULT 'pending',
    "result" JSONB,
    "error" JSONB,
    "output" TEXT NOT NULL DEFAULT '',
    "outputTruncated" BOOLEAN NOT NULL DEFAULT false,
    "requestedBy" TEXT,
    "idempotencyKey" TEXT,
    "requestHash" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sentAt" TIMESTAMPTZ(3),
    "startedAt" TIMESTAMPTZ(3),
    "finishedAt" TIMESTAMPTZ(3),
    "cancelRequestedAt" TIMESTAMPTZ(3),
    "deadline" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "Command_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Command_idempotencyKey_key" ON "Command"("idempotencyKey");

-- CreateIndex
CREATE INDEX "Command_createdAt_id_idx" ON "Command"("createdAt", "id");

-- CreateIndex
CREATE INDEX "Command_hostId_createdAt_idx" ON "Command"("hostId", "createdAt");

-- CreateIndex
CREATE INDEX "Command_targetId_createdAt_idx" ON "Command"("targetId", "createdAt");

-- CreateIndex
CREATE INDEX "Command_op_createdAt_idx" ON "Command"("op", "createdAt");

-- CreateIndex
CREATE INDEX "Command_status_deadline_idx" ON "Command"("status", "deadline");

-- AddForeignKey
ALTER TABLE "Command" ADD CONSTRAINT "Command_hostId_fkey" FOREIGN KEY ("hostId") REFERENCES "Host"("id") ON DELETE CASCADE ON UPDATE CASCADE;
