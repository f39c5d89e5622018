-- AlterTable
ALTER TABLE "Image" ADD COLUMN     "repoDigests" TEXT[];

-- CreateTable
CREATE TABLE "ImageOrigin" (
    "hostId" UUID NOT NULL,
    "engineId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "registry" TEXT,
    "reference" TEXT,
    "digest" TEXT,
    "fromHostId" UUID,
    "fromHostname" TEXT,
    "fromImage" TEXT,
    "uploadId" TEXT,
    "container" TEXT,
    "commandId" UUID,
    "requestedBy" TEXT,
    "recordedAt" TIMESTAMPTZ(3) NOT NULL,
    "source" JSONB,

    CONSTRAINT "ImageOrigin_pkey" PRIMARY KEY ("hostId","engineId")
);

-- CreateIndex
CREATE INDEX "ImageOrigin_digest_idx" ON "ImageOrigin"("digest");

-- CreateIndex
CREATE INDEX "ImageOrigin_kind_idx" ON "ImageOrigin"("kind");

-- AddForeignKey
ALTER TABLE "ImageOrigin" ADD CONSTRAINT "ImageOrigin_hostId_fkey" FOREIGN KEY ("hostId") REFERENCES "Host"("id") ON DELETE CASCADE ON UPDATE CASCADE;
