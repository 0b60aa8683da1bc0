// The fault suite's table: one row a scenario.
import type { ScenarioResult } from './scenario.js';

const COLUMNS: [keyof ScenarioResult, string][] = [
  ['scenario', 'scenario'],
  ['runs', 'runs'],
  ['enqueued', 'enqueued'],
  ['durable', 'durable'],
  ['lost', 'lost'],
  ['duplicated', 'duplicated'],
  ['orderViolations', 'order violations'],
];

export function formatTable(results: ScenarioResult[]): string {
  const rows = results.map((r) => [...COLUMNS.map(([k]) => String(r[k])), r.pass ? 'PASS' : 'FAIL']);
  const header = [...COLUMNS.map(([, h]) => h), 'verdict'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  const out = [line(header), `|${widths.map((w, i) => (i === 0 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`, ...rows.map(line)];
  const notes = results.filter((r) => r.note).map((r) => `- ${r.scenario}: ${r.note} (expects ${r.expectation})`);
  return [...out, '', ...notes].join('\n');
}
