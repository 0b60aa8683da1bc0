// A store whose journal holds pairs of a writer killed with -9 and nothing else: the child
// (journal-writer-child.ts) enqueues the cues for r1, says `journaled`, and is killed. The
// child is killed and awaited also when the wait for its line fails.
import { fileURLToPath } from 'node:url';
import { startChildScript } from '../../faults/child.js';
import { makeStore } from './run-provq.js';

const CHILD = fileURLToPath(new URL('./journal-writer-child.ts', import.meta.url));

/** A new store (record r1) and the cues its dead writer journaled, in order: k000, k001, … */
export async function storeWithDeadWriterJournal(count: number): Promise<{ store: string; cues: string[] }> {
  const store = await makeStore(['r1']);
  const cues = Array.from({ length: count }, (_, i) => `k${String(i).padStart(3, '0')}`);
  const child = startChildScript(CHILD, { storePath: store, cues });
  try {
    await child.waitForLine(/^journaled$/);
  } finally {
    child.kill('SIGKILL');
    await child.done;
  }
  return { store, cues };
}
