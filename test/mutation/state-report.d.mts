// Types for state-report.mjs (a plain ES module: StrykerJS loads it from its reporter plugin).
/** A StrykerJS mutation-testing report, or its compacted state: only the parts used here are typed. */
export interface StateReport {
  provq?: Record<string, unknown>;
  files: Record<string, { language?: string; source: string; mutants: Array<Record<string, any>> }>;
  testFiles: Record<string, { source?: string; tests: Array<{ id: string; name: string; location?: unknown }> }>;
  [key: string]: unknown;
}
export function stateFile(area: string): string;
export function compactReport(report: Partial<StateReport> & Record<string, unknown>, meta?: Record<string, unknown>): StateReport;
export function writeState(path: string, report: StateReport): void;
