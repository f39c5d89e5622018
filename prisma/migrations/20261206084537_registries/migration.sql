-- CreateTable
CREATE TABLE "Registry" (
    "id" UUID NOT NULL,
    "address" TEXT NOT NULL,
    "username" TEXT,
    "secretKind" TEXT NOT NULL,
    "secretCipher" TEXT NOT NULL,
    "insecure" BOOLEAN NOT NULL DEFAULT false,
    "createdBy" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "Registry_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ImagePolicy" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "selector" JSONB NOT NULL DEFAULT '[]',
    "allowedRegistries" JSONB,
    "requireDigest" BOOLEAN NOT NULL DEFAULT false,
    "createdBy" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "ImagePolicy_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "Registry_address_key" ON "Registry"("address");

-- CreateIndex
CREATE UNIQUE INDEX "ImagePolicy_name_key" ON "ImagePolicy"("name");
