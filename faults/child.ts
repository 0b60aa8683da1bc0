// Runs a workload in a real child process, from the TypeScript sources (through tsx), so
// a child runs exactly the code under test — mutants included.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { PgWorkloadConfig } from './pg-workload.js';
import type { WorkloadConfig } from './workload.js';

const WORKLOAD = fileURLToPath(new URL('./workload-child.ts', import.meta.url));
const FAKE_CLOCK = fileURLToPath(new URL('./fake-clock.ts', import.meta.url));
const PG_WORKLOAD = fileURLToPath(new URL('./pg-workload-child.ts', import.meta.url));
/** `--import tsx` resolves from the working directory: the package's own. */
const PACKAGE_ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The child had not ended after CHILD_TIME_LIMIT_MS and was killed: a hang, reported as such. */
  timedOut: boolean;
  stdout: string;
  stderr: string;
}

export interface RunningChild {
  pid: number;
  /** Resolves at the first stdout line that matches. */
  waitForLine(pattern: RegExp): Promise<string>;
  kill(signal: NodeJS.Signals): void;
  done: Promise<ChildResult>;
}

/** No scenario's child runs this long; one that does is hung (say, at exit) and is killed. */
const CHILD_TIME_LIMIT_MS = 120_000;

export function startWorkload(cfg: WorkloadConfig): RunningChild {
  // A stepped wall clock from the process's first instruction on (faults/fake-clock.ts).
  const stepped = cfg.clockOffsetMs !== undefined || cfg.clockJump !== undefined;
  return startChildScript(WORKLOAD, cfg, stepped ? { preload: FAKE_CLOCK, env: { PROVQ_FAKE_CLOCK_OFFSET_MS: String(cfg.clockOffsetMs ?? 0) } } : {});
}

/** A workload on a PostgresMemoryStore (pg-workload.ts). */
export function startPgWorkload(cfg: PgWorkloadConfig): RunningChild {
  return startChildScript(PG_WORKLOAD, cfg);
}

/** Runs a child script of faults/ (a `.ts` path) with its config as one JSON argument. */
export function startChildScript(script: string, cfg: unknown, opts: { preload?: string; env?: Record<string, string> } = {}): RunningChild {
  const preload = opts.preload ? ['--import', opts.preload] : [];
  const env = { ...process.env, ...opts.env };
  const child = spawn(process.execPath, ['--import', 'tsx', ...preload, script, JSON.stringify(cfg)], { stdio: ['ignore', 'pipe', 'pipe'], cwd: PACKAGE_ROOT, env });
  let timedOut = false;
  const limit = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, CHILD_TIME_LIMIT_MS);
  let stdout = '';
  let stderr = '';
  const lineWaiters: { pattern: RegExp; resolve(line: string): void }[] = [];
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    for (const w of [...lineWaiters]) {
      const line = stdout.split('\n').find((l) => w.pattern.test(l));
      if (line !== undefined) {
        lineWaiters.splice(lineWaiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const done = new Promise<ChildResult>((resolve) =>
    child.on('close', (code, signal) => {
      clearTimeout(limit);
      resolve({ code, signal, timedOut, stdout, stderr });
    }),
  );
  return {
    pid: child.pid!,
    waitForLine: (pattern) =>
      new Promise((resolve, reject) => {
        lineWaiters.push({ pattern, resolve });
        void done.then((r) => reject(new Error(`child ended (${r.code ?? r.signal}) before ${pattern}: ${r.stderr}`)));
      }),
    kill: (signal) => child.kill(signal),
    done,
  };
}

export function runWorkload(cfg: WorkloadConfig): Promise<ChildResult> {
  return startWorkload(cfg).done;
}

