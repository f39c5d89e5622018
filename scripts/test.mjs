#!/usr/bin/env node
// `npm test`: installs and builds when needed, makes sure the real engines run (as root), then runs
// the unit, integration and end-to-end suites in that order and prints one closing line for all.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { closingLine, countReport } from './lib/test-report.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const projects = args.length > 0 ? args : ['unit', 'integration', 'e2e'];

function run(cmd, cmdArgs, opts = {}) {
  const result = spawnSync(cmd, cmdArgs, { cwd: root, stdio: 'inherit', ...opts });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

if (!existsSync(path.join(root, 'node_modules'))) {
  if (run('npm', ['ci']) !== 0) process.exit(1);
}
if (run('npm', ['run', 'build', '--silent']) !== 0) {
  console.error('test: the build failed; fix it before running the tests');
  process.exit(1);
}
if (projects.some((p) => p !== 'unit')) {
  if (process.getuid?.() === 0) {
    if (run('bash', [path.join(root, 'scripts', 'engines-up.sh')]) !== 0) {
      console.error('test: the engines (dockerd, lxc-net) could not be started');
      process.exit(1);
    }
  } else {
    console.warn('test: not root, so dockerd and lxc-net are not started here; end-to-end tests need them');
  }
}

const reports = mkdtempSync(path.join(os.tmpdir(), 'corral-test-'));
const total = { passed: 0, failed: 0, skipped: 0 };
const brokenSuites = [];
const failedTests = [];
let status = 0;
for (const project of projects) {
  const out = path.join(reports, `${project}.json`);
  const code = run('npx', [
    'vitest',
    'run',
    '--project',
    project,
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${out}`,
  ]);
  if (code !== 0) status = code;
  if (existsSync(out)) {
    const report = JSON.parse(readFileSync(out, 'utf8'));
    const counts = countReport(report, root);
    total.passed += counts.passed;
    total.failed += counts.failed;
    total.skipped += counts.skipped;
    brokenSuites.push(...counts.brokenSuites.map((suite) => ({ project, ...suite })));
    failedTests.push(...counts.failedTests.map((test) => ({ project, ...test })));
    if (counts.failed > 0) status ||= 1;
    // Vitest fails a run for errors no test owns (an exception thrown after a test ended): count the
    // run as one failure, so the closing line cannot read "0 failed" for a failed run.
    if (code !== 0 && counts.failed === 0) {
      console.error(`test: project ${project} failed outside its tests (unhandled errors above); counted as 1 failure`);
      total.failed += 1;
    }
    if (report.numTotalTests === 0 && counts.failed === 0) {
      console.error(`test: project ${project} ran no test`);
      status ||= 1;
    }
  } else {
    console.error(`test: project ${project} wrote no report`);
    total.failed += 1;
    status ||= 1;
  }
}
rmSync(reports, { recursive: true, force: true });
if (brokenSuites.length > 0) {
  console.log('\nSuites that failed outside their tests (setup, teardown or import), counted as failed:');
  for (const s of brokenSuites) {
    const left = s.notRun > 0 ? `, ${s.notRun} test${s.notRun === 1 ? '' : 's'} not run` : '';
    console.log(`  [${s.project}] ${s.file}: ${s.reason}${left}`);
  }
}
if (failedTests.length > 0) {
  console.log('\nTests that failed:');
  for (const t of failedTests) console.log(`  [${t.project}] ${t.file} > ${t.test}: ${t.reason}`);
}
console.log(`\n${closingLine(total)}`);
process.exit(status);
