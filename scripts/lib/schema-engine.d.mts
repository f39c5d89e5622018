// Types for schema-engine.mjs, for the TypeScript tests that use it.
export type DiffTarget =
  | { tag: 'empty' }
  | { tag: 'schemaDatamodel'; files: { path: string; content: string }[] }
  | { tag: 'schemaDatasource'; files: { path: string; content: string }[]; configDir: string }
  | { tag: 'migrations'; baseDir: string; [key: string]: unknown };

export interface DiffResult {
  sql: string;
  empty: boolean;
}

export const repoRoot: string;
export const schemaPath: string;
export const migrationsDir: string;
export const lockfileContent: string;
export const defaultServerUrl: string;
export function withDatabase(url: string, database: string): string;
export function diff(options: { from: DiffTarget; to: DiffTarget; serverUrl?: string }): Promise<DiffResult>;
export function emptyTarget(): DiffTarget;
export function schemaTarget(file?: string): Promise<DiffTarget>;
export function databaseTarget(file?: string): Promise<DiffTarget>;
export function listMigrationNames(dir?: string): Promise<string[]>;
export function migrationsTarget(dir?: string): Promise<DiffTarget>;
export interface HistoryDiagnosis {
  editedMigrationNames: string[];
  failedMigrationNames: string[];
  hasMigrationsTable: boolean;
  history: { diagnostic: string; [key: string]: unknown } | null;
}
export function diagnoseHistory(options: { databaseUrl: string; dir?: string }): Promise<HistoryDiagnosis>;
export function deployMigrations(options: {
  databaseUrl: string;
  dir?: string;
}): Promise<{ appliedMigrationNames: string[] }>;
export function markRolledBack(options: { databaseUrl: string; migrationName: string }): Promise<void>;
