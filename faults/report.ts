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

/** One result as a line of its own, printed as its row finishes (the table comes at the end). */
export function formatRowLine(r: ScenarioResult, seconds: number): string {
  const setAside = r.setAside ? `, ${r.setAside} set aside` : '';
  const note = r.note ? `; ${r.note}` : '';
  return `${r.pass ? 'PASS' : 'FAIL'} ${r.scenario}: ${r.runs} runs, ${r.enqueued} enqueued, ${r.durable} durable, ${r.lost} lost, ${r.duplicated} duplicated, ${r.orderViolations} order violations${setAside} (${seconds.toFixed(1)} s)${note}`;
}
