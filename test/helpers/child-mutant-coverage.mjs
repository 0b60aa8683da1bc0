// Loaded into every child of a test under StrykerJS (NODE_OPTIONS=--import, set by
// mutant-in-children.ts): saves which mutants the child executed, for the test that started it.
// Plain JS so that it loads in any child, with or without tsx.
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const ACTIVE_MUTANT_ENV = '__STRYKER_ACTIVE_MUTANT__';
export const COVERAGE_DIR_ENV = 'PROVQ_STRYKER_CHILD_COVERAGE_DIR';

const dir = process.env[COVERAGE_DIR_ENV];
if (dir) {
  const file = join(dir, `${process.pid}.json`);
  const save = () => {
    const coverage = globalThis.__stryker__?.mutantCoverage;
    if (!coverage) return;
    try {
      writeFileSync(`${file}.tmp`, JSON.stringify(coverage));
      renameSync(`${file}.tmp`, file);
    } catch {
      // the test has ended and removed the directory
    }
  };
  // Saved once everything that runs at exit has run, so that it counts: the exit drain, lmdb's
  // listener, the app's own, and signal-exit's callbacks, which it calls from its own wrapper
  // of process.emit after the 'exit' listeners. (Saved from the first 'exit' listener, as
  // before, the mutants of code that runs at exit showed as "no coverage".) So: the save is
  // moved behind each 'exit' listener added later, and process.emit is wrapped again, outermost,
  // whenever someone (signal-exit, when a queue starts) has wrapped it since.
  process.on('exit', save);
  let outermost = null;
  const wrapEmit = () => {
    if (process.emit === outermost) return;
    const inner = process.emit;
    outermost = function emitThenSave(event, ...args) {
      try {
        return inner.call(this, event, ...args);
      } finally {
        if (event === 'exit') save();
      }
    };
    process.emit = outermost;
  };
  wrapEmit();
  process.on('newListener', (event, listener) => {
    if (listener === save) return;
    queueMicrotask(() => {
      wrapEmit();
      if (event !== 'exit') return;
      process.removeListener('exit', save);
      process.on('exit', save);
    });
  });
  // A drain on SIGTERM/SIGINT/SIGHUP (signal-exit) ends with the process signalling itself:
  // no 'exit' event follows, so save just before that signal.
  const kill = process.kill;
  process.kill = function killAfterSaving(pid, signal) {
    if (pid === process.pid) save();
    return kill.call(process, pid, signal);
  };
  // A child killed by another process (kill -9) saves nothing itself: keep a recent snapshot.
  setInterval(save, 250).unref();
}
