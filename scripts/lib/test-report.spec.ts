import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closingLine, countReport, type ReportCounts } from './test-report.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const fixtures = path.join(root, 'test', 'fixtures', 'vitest');

describe('countReport on a real vitest run of suites that fail outside their tests', () => {
  let dir = '';
  let sut: ReportCounts;
  let exitCode: number | null = null;

  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'corral-test-report-'));
    const out = path.join(dir, 'report.json');
    // The fixtures sit outside every include glob of vitest.config.ts; their own config runs them.
    const run = spawnSync(
      process.execPath,
      [
        path.join(root, 'node_modules', 'vitest', 'vitest.mjs'),
        'run',
        '--config',
        path.join(fixtures, 'vitest.config.ts'),
        '--reporter=json',
        `--outputFile.json=${out}`,
      ],
      { cwd: root, encoding: 'utf8', env: { ...process.env, CI: 'true' } },
    );
    exitCode = run.status;
    sut = countReport(JSON.parse(readFileSync(out, 'utf8')), fixtures);
  }, 60_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('vitest itself fails the run', () => {
    expect(exitCode).toBe(1);
  });

  it('counts the tests a failing beforeAll kept from running as failed, not skipped', () => {
    const broken = sut.brokenSuites.find((s) => s.file === 'before-all-fails.fixture.ts');
    expect(broken).toEqual({ file: 'before-all-fails.fixture.ts', reason: 'setup failed on purpose', notRun: 2 });
  });

  it('counts a failing afterAll and a failing import as one failure each', () => {
    expect(sut.brokenSuites.find((s) => s.file === 'after-all-fails.fixture.ts')).toMatchObject({ notRun: 0 });
    expect(sut.brokenSuites.find((s) => s.file === 'import-fails.fixture.ts')).toEqual({
      file: 'import-fails.fixture.ts',
      reason: 'import failed on purpose',
      notRun: 0,
    });
  });

  it('counts a group whose beforeAll failed, though vitest gives no message for it', () => {
    expect(sut.brokenSuites.find((s) => s.file === 'describe-before-all-fails.fixture.ts')).toMatchObject({
      notRun: 1,
    });
  });

  it('names a test that failed an assertion, with the first line of its failure', () => {
    expect(sut.failedTests).toEqual([
      {
        file: 'test-fails.fixture.ts',
        test: 'a group fails an assertion',
        reason: expect.stringContaining('sum of one and one'),
      },
    ]);
  });

  it('adds up to a closing line that shows every failure', () => {
    // passed: passes, the afterAll suite's test, the test outside the broken group;
    // failed: 2 (beforeAll) + 1 (afterAll) + 1 (import) + 1 (group) + 1 (assertion);
    // skipped: it.skip and it.todo.
    expect(closingLine(sut)).toBe('Tests: 3 passed, 6 failed, 2 skipped');
    expect(sut.brokenSuites).toHaveLength(4);
  });
});

describe('countReport', () => {
  it('leaves a clean run as vitest counts it', () => {
    const sut = countReport({
      success: true,
      testResults: [
        {
          name: '/r/a.test.ts',
          status: 'passed',
          message: '',
          assertionResults: [{ status: 'passed' }, { status: 'skipped' }, { status: 'todo' }],
        },
      ],
    });
    expect(sut).toEqual({ passed: 1, failed: 0, skipped: 2, brokenSuites: [], failedTests: [] });
  });

  it('does not count a file twice when only its tests failed', () => {
    const sut = countReport({
      success: false,
      testResults: [
        {
          name: '/r/a.test.ts',
          status: 'failed',
          message: '',
          assertionResults: [
            { status: 'failed', fullName: 'a fails', failureMessages: ['AssertionError: expected 1 to be 2\n  at x'] },
            { status: 'passed' },
          ],
        },
      ],
    });
    expect(sut).toEqual({
      passed: 1,
      failed: 1,
      skipped: 0,
      brokenSuites: [],
      failedTests: [{ file: '/r/a.test.ts', test: 'a fails', reason: 'AssertionError: expected 1 to be 2' }],
    });
  });

  it('adds a teardown failure to a test failure in the same file', () => {
    const sut = countReport(
      {
        success: false,
        testResults: [
          {
            name: '/r/test/a.test.ts',
            status: 'failed',
            message: 'afterAll: left 2 containers\nat ...',
            assertionResults: [{ status: 'failed' }],
          },
        ],
      },
      '/r',
    );
    expect(sut.failed).toBe(2);
    expect(sut.brokenSuites).toEqual([{ file: 'test/a.test.ts', reason: 'afterAll: left 2 containers', notRun: 0 }]);
  });
});
