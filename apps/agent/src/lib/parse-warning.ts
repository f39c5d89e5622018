// A line a parser skipped, reported to the caller instead of failing the whole read.
export interface ParseWarning {
  line: number;
  text: string;
  reason: string;
}
