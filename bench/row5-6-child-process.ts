// Rows 5 and 6 measure a process of their own: this runs a compiled bench child, hands it
// its config as one JSON argument, and notes the wall time at which its 'exit' event fired.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Wall-clock ms with sub-ms precision, comparable between processes on one machine. */
export function wallMs(): number {
  return performance.timeOrigin + performance.now();
}

/** The bench child script `name` (a `.ts` file beside this one, run through tsx). */
export function benchChildScript(name: string): string {
  return fileURLToPath(new URL(`./${name.replace(/\.js$/, '.ts')}`, import.meta.url));
}

export interface ChildRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  /** When the parent saw the child's 'exit' event, by wallMs(). */
  exitedAtWallMs: number;
}

export function runBenchChild(
  script: string,
  config: unknown,
  opts: { timeoutMs: number; nodeArgs?: string[] },
): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const args = ['--import', 'tsx', ...(opts.nodeArgs ?? []), script, JSON.stringify(config)];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: fileURLToPath(new URL('..', import.meta.url)) });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let exitedAtWallMs = NaN;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs);
    child.on('exit', () => (exitedAtWallMs = wallMs()));
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, timedOut, stdout, stderr, exitedAtWallMs });
    });
  });
}

/** The child's last stdout line, parsed: how a child hands back what it measured. */
export function lastJsonLine<T>(run: ChildRun, what: string): T {
  if (run.code !== 0) {
    const how = run.timedOut ? 'was killed after its time limit' : `ended with ${run.code ?? run.signal}`;
    throw new Error(`${what}: the child ${how}: ${run.stderr.trim().slice(-2000)}`);
  }
  const line = run.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as T;
  } catch {
    throw new Error(`${what}: the child printed no JSON result line (stdout ends: ${JSON.stringify(line.slice(-200))})`);
  }
}
