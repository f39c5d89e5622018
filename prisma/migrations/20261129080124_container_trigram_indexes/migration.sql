-- CreateExtension
CREATE EXTENSION IF NOT EXISTS "pg_trgm";

-- CreateIndex
CREATE INDEX "Container_name_trgm_idx" ON "Container" USING GIN ("name" gin_trgm_ops);

-- CreateIndex
CREATE INDEX "Container_labelText_trgm_idx" ON "Container" USING GIN ("labelText" gin_trgm_ops);
