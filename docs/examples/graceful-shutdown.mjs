// Graceful shutdown in a server: on SIGTERM stop taking requests, then close the store,
// which drains the queue. (Even without this, the exit hook writes what is left.)
// Run: node docs/examples/graceful-shutdown.mjs   (it sends itself SIGTERM after a few recalls)
import { createServer } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LmdbMemoryStore } from 'provenance-queue';

const path = mkdtempSync(join(tmpdir(), 'graceful-'));
const store = await LmdbMemoryStore.open({ path });
await store.insert({ id: 'walk', text: 'Ada walks the dog at seven' });
store.enableProvenanceQueue({ coalesceMs: 1000 }); // entries wait in memory for a second

const server = createServer(async (req, res) => {
  const hits = await store.recall({ cue: 'dog walk', sessionId: 'http' });
  res.end(JSON.stringify(hits.map((h) => h.id)));
});

process.once('SIGTERM', async () => {
  server.close(); // no new requests
  const pending = store.provenanceQueue?.stats().pendingPairs;
  await store.close(); // drains the queue, then closes LMDB
  const reopened = await LmdbMemoryStore.open({ path });
  console.log(`drained ${pending} pending entries; stored: ${(await reopened.get('walk')).provenance.length}`);
  await reopened.close();
});

await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${server.address().port}`;
for (let i = 0; i < 3; i++) await (await fetch(`${base}/recall`)).text();
process.kill(process.pid, 'SIGTERM');
