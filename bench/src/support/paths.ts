import path from 'node:path';
import { fileURLToPath } from 'node:url';

// bench/dist/support -> repository root
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const BENCH_DIST = path.join(REPO_ROOT, 'bench', 'dist');
