// Types for test-report.mjs, for the TypeScript tests that use it.
export interface BrokenSuite {
  file: string;
  reason: string;
  notRun: number;
}

export interface FailedTest {
  file: string;
  test: string;
  reason: string;
}

export interface ReportCounts {
  passed: number;
  failed: number;
  skipped: number;
  brokenSuites: BrokenSuite[];
  failedTests: FailedTest[];
}

export function countReport(report: unknown, root?: string): ReportCounts;
export function closingLine(total: { passed: number; failed: number; skipped: number }): string;
