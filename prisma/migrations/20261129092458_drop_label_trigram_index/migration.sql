-- DropIndex
DROP INDEX "Container_labelText_trgm_idx";
