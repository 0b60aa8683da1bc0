// One benchmark row's result, and the table and JSON they are printed as.
import { availableParallelism, cpus, loadavg } from 'node:os';

export interface RowResult {
  row: number;
  what: string;
  measured: string;
  baseline: string;
  ratio: string;
  target: string;
  met: boolean;
  /** The raw figures behind the strings above, for --json. */
  figures: Record<string, number | boolean | string>;
  note?: string;
}

export interface MachineInfo {
  cores: number;
  cpu: string;
  node: string;
  loadAverage: number[];
}

export function machineInfo(): MachineInfo {
  return {
    cores: availableParallelism(),
    cpu: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    loadAverage: loadavg().map((l) => Number(l.toFixed(2))),
  };
}

export function formatTable(rows: readonly RowResult[]): string {
  const header = ['#', 'what', 'measured', 'baseline (same run)', 'ratio', 'target', 'result'];
  const cells = rows.map((r) => [String(r.row), r.what, r.measured, r.baseline, r.ratio, r.target, r.met ? 'MET' : 'NOT MET']);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => `| ${c.map((s, i) => s.padEnd(widths[i]!)).join(' | ')} |`;
  const out = [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.map(line)];
  for (const r of rows) if (r.note) out.push(`  row ${r.row}: ${r.note}`);
  return out.join('\n');
}

export const fmt = {
  ns: (ns: number) => (ns < 1000 ? `${ns.toFixed(0)} ns` : `${(ns / 1000).toFixed(2)} µs`),
  ms: (ms: number) => (ms < 1 ? `${(ms * 1000).toFixed(0)} µs` : `${ms.toFixed(ms < 10 ? 2 : 1)} ms`),
  rate: (perSecond: number) => `${Math.round(perSecond).toLocaleString('en-US')}/s`,
  mb: (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`,
  ratio: (x: number) => `${x.toFixed(2)}×`,
};
