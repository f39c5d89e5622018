-- AlterTable
ALTER TABLE "EnrollmentToken" ADD COLUMN     "allowTakeover" BOOLEAN NOT NULL DEFAULT false;
