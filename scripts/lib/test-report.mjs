// Counts one vitest JSON report for the closing line of `npm test`. Vitest counts a test that a
// failing beforeAll kept from running as skipped, and a failing afterAll or import as no test at
// all; here such a suite is a failure: its tests that did not run count as failed, or the suite
// counts as one failed test when none of its tests was left out (teardown, import). Every failed
// test is named with the first line of its failure, so that the tail of a long run says which.

const NOT_RUN = new Set(['skipped', 'pending']);

// A suite failed outside its tests: vitest says the file failed while none of its tests did, or it
// gives a file-level error message (a teardown failing after a test that failed).
function failedOutsideTests(file) {
  if (file.status !== 'failed') return false;
  const testFailed = (file.assertionResults ?? []).some((t) => t.status === 'failed');
  return !testFailed || Boolean(file.message);
}

function firstLine(text) {
  return (
    String(text ?? '')
      .split('\n')
      .find((line) => line.trim() !== '') ?? ''
  );
}

export function countReport(report, root = '') {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  const brokenSuites = [];
  const failedTests = [];
  for (const file of report.testResults ?? []) {
    const tests = file.assertionResults ?? [];
    const name = root && file.name.startsWith(`${root}/`) ? file.name.slice(root.length + 1) : file.name;
    for (const t of tests) {
      if (t.status !== 'failed') continue;
      failedTests.push({
        file: name,
        test: t.fullName || t.title || '(unnamed test)',
        reason: firstLine((t.failureMessages ?? [])[0]) || 'no failure message',
      });
    }
    const notRun = tests.filter((t) => NOT_RUN.has(t.status)).length;
    passed += tests.filter((t) => t.status === 'passed').length;
    failed += tests.filter((t) => t.status === 'failed').length;
    const todo = tests.filter((t) => t.status === 'todo').length;
    if (failedOutsideTests(file)) {
      failed += Math.max(1, notRun);
      skipped += todo;
      brokenSuites.push({
        file: name,
        reason: firstLine(file.message) || 'a beforeAll or afterAll hook failed (see its output above)',
        notRun,
      });
    } else {
      skipped += notRun + todo;
    }
  }
  // A report that lists no file at all still says whether vitest found its run failed.
  if ((report.testResults ?? []).length === 0 && report.success === false) {
    failed += 1;
    brokenSuites.push({ file: '(no test file)', reason: 'vitest reported a failed run without any file', notRun: 0 });
  }
  return { passed, failed, skipped, brokenSuites, failedTests };
}

export function closingLine(total) {
  return `Tests: ${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`;
}
