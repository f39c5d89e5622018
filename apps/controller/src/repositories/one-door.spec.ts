import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// One door to the database: SQL is written in repositories/ alone, and in database/ for the
// machinery under them (transactions, prepared statements, migrations, the embedded server's
// database). Anything else asks a repository.
const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DOORS = ['repositories', 'database', 'generated'];

// What writing SQL looks like in this code base: a Kysely builder started on a table, a Kysely
// `sql` template, Prisma's raw queries, or a string literal that begins with a statement.
const SQL_SIGNS: [string, RegExp][] = [
  ['a Kysely query builder', /\.(selectFrom|insertInto|updateTable|deleteFrom|mergeInto)\(/],
  ['a Kysely sql template', /\bsql(<[^>]*>)?`/],
  ['a raw Prisma query', /\$(queryRaw|executeRaw)(Unsafe)?\b/],
  [
    'an SQL statement in a string',
    /['"`]\s*(?:(?:SELECT|INSERT\s+INTO|DELETE\s+FROM|WITH\s+\w+\s+AS|LISTEN|NOTIFY|BEGIN|COMMIT|ROLLBACK)\b|UPDATE\s+"|SET\s+\w+\s*=)/,
  ],
];

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(full));
    else if (entry.name.endsWith('.ts') && !/\.(spec|fixture)\.ts$/.test(entry.name)) out.push(full);
  }
  return out;
}

// Each line of `text` that shows a sign, as "file:line: sign".
function sqlOutsideDoors(file: string, text: string): string[] {
  const found: string[] = [];
  text.split('\n').forEach((line, i) => {
    if (/^\s*\/\//.test(line)) return;
    for (const [sign, pattern] of SQL_SIGNS) {
      if (pattern.test(line)) found.push(`${file}:${i + 1}: ${sign}: ${line.trim()}`);
    }
  });
  return found;
}

describe('one door to the database', () => {
  it('finds what it looks for (the check itself)', () => {
    expect(sqlOutsideDoors('x.ts', "  await db.selectFrom('Host').selectAll().execute();")).toHaveLength(1);
    expect(sqlOutsideDoors('x.ts', 'const t = sql<{ n: number }>`SELECT 1`;')).toHaveLength(2);
    expect(sqlOutsideDoors('x.ts', "await client.query('LISTEN corral_events');")).toHaveLength(1);
    expect(sqlOutsideDoors('x.ts', "await client.query('SET tcp_keepalives_idle = 5');")).toHaveLength(1);
    expect(sqlOutsideDoors('x.ts', 'await prisma.$queryRaw`SELECT 1`;').length).toBeGreaterThan(0);
    // Words that are not statements: an HTTP method, a sentence naming a route, a comment.
    expect(sqlOutsideDoors('x.ts', 'const METHODS = { POST: Post, DELETE: Delete, GET: Get } as const;')).toEqual([]);
    expect(sqlOutsideDoors('x.ts', "describe('Corral id of the token; DELETE /tokens/{id} revokes it')")).toEqual([]);
    expect(sqlOutsideDoors('x.ts', '  // SELECT pg_notify(...) leaves with the insert')).toEqual([]);
  });

  it('has no SQL outside repositories/ and database/', () => {
    const files = readdirSync(SRC, { withFileTypes: true })
      .filter((e) => !(e.isDirectory() && DOORS.includes(e.name)))
      .flatMap((e) => (e.isDirectory() ? sourceFiles(path.join(SRC, e.name)) : [path.join(SRC, e.name)]))
      .filter((f) => f.endsWith('.ts') && !/\.(spec|fixture)\.ts$/.test(f));
    expect(files.length).toBeGreaterThan(100);
    const found = files.flatMap((f) => sqlOutsideDoors(path.relative(SRC, f), readFileSync(f, 'utf8')));
    expect(found).toEqual([]);
  });
});
