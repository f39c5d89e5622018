-- CreateTable
CREATE TABLE "CreatePolicy" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "selector" JSONB NOT NULL DEFAULT '[]',
    "grants" JSONB NOT NULL,
    "createdBy" TEXT,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "CreatePolicy_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "CreatePolicy_name_key" ON "CreatePolicy"("name");
