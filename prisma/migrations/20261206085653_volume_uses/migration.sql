-- CreateTable
CREATE TABLE "VolumeUse" (
    "id" UUID NOT NULL,
    "hostId" UUID NOT NULL,
    "volume" TEXT NOT NULL,
    "family" TEXT NOT NULL,
    "repository" TEXT,
    "imageId" TEXT NOT NULL,
    "containers" TEXT[],
    "firstSeenAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastUsedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "VolumeUse_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "VolumeUse_hostId_volume_family_imageId_key" ON "VolumeUse"("hostId", "volume", "family", "imageId");

-- AddForeignKey
ALTER TABLE "VolumeUse" ADD CONSTRAINT "VolumeUse_hostId_fkey" FOREIGN KEY ("hostId") REFERENCES "Host"("id") ON DELETE CASCADE ON UPDATE CASCADE;
