// Harness for test/store/app-rejections.test.ts, run as a real child process: a store is
// open (its lmdb commit guard listens for unhandled rejections) when the app leaves a
// rejection of its own unhandled. `ownListener`: the app listens for them itself.
import { silentLogger } from '../../src/log.js';
import { LmdbMemoryStore } from '../../src/store/lmdb-memory-store.js';

const { storePath, ownListener } = JSON.parse(process.argv[2]!) as { storePath: string; ownListener: boolean };
const store = await LmdbMemoryStore.open({ path: storePath, logger: silentLogger });
if (ownListener) process.on('unhandledRejection', (reason) => console.log(`the app saw: ${(reason as Error).message}`));
void Promise.reject(new Error('an app bug'));
// Node handles the rejection after this turn; a process still here later was not ended by it.
setTimeout(() => {
  console.log('still running');
  void store.close().then(() => process.exit(0));
}, 300);
