-- AlterTable
ALTER TABLE "ImagePolicy" ADD COLUMN     "refuseUnknownOrigin" BOOLEAN NOT NULL DEFAULT false;
