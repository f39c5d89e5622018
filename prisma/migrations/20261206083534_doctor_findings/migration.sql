-- CreateTable
CREATE TABLE "DoctorFinding" (
    "id" UUID NOT NULL,
    "hostId" UUID NOT NULL,
    "key" TEXT NOT NULL,
    "findingId" TEXT NOT NULL,
    "check" TEXT NOT NULL,
    "severity" TEXT NOT NULL,
    "subject" TEXT,
    "message" TEXT NOT NULL,
    "evidence" TEXT[],
    "fix" JSONB,
    "observedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "DoctorFinding_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "DoctorFinding_severity_idx" ON "DoctorFinding"("severity");

-- CreateIndex
CREATE UNIQUE INDEX "DoctorFinding_hostId_key_key" ON "DoctorFinding"("hostId", "key");

-- AddForeignKey
ALTER TABLE "DoctorFinding" ADD CONSTRAINT "DoctorFinding_hostId_fkey" FOREIGN KEY ("hostId") REFERENCES "Host"("id") ON DELETE CASCADE ON UPDATE CASCADE;
