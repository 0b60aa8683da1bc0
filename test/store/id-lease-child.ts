// Harness for test/store/id-lease.test.ts, run as a real child process. `run: 'ahead'`: one
// pair written, then the monotonic clock 10 s further (as after a long busy stretch), one
// more pair written synchronously, and the process killed with -9 before anything else runs.
// `run: 'stepped-back'`: the wall clock an hour behind, one pair written; then a second,
// new store opened in the same process (its mark far below) and one more pair written to the first.
import { silentLogger } from '../../src/log.js';
import { LmdbMemoryStore } from '../../src/store/lmdb-memory-store.js';

const { storePath, otherStorePath, run } = JSON.parse(process.argv[2]!) as { storePath: string; otherStorePath?: string; run: 'ahead' | 'stepped-back' };
const pair = (cue: string) => ['r1', { ts: new Date().toISOString(), cue, sessionId: 's' }] as [string, { ts: string; cue: string; sessionId: string }];
if (run === 'stepped-back') {
  const realNow = Date.now.bind(Date);
  Date.now = () => realNow() - 3_600_000;
}
const store = await LmdbMemoryStore.open({ path: storePath, logger: silentLogger });
if (run === 'ahead') {
  await store.insert({ id: 'r1', text: 'x' });
  store.appendProvenanceBatchSync([pair('first run, before')]);
  const realPerf = performance.now.bind(performance);
  performance.now = () => realPerf() + 10_000;
  store.appendProvenanceBatchSync([pair('first run, 10 s later')]); // durable when it returns
  process.kill(process.pid, 'SIGKILL');
} else {
  store.appendProvenanceBatchSync([pair('second run')]);
  const other = await LmdbMemoryStore.open({ path: otherStorePath!, logger: silentLogger });
  store.appendProvenanceBatchSync([pair('second run, after another store opened')]);
  await other.close();
  await store.close();
}
