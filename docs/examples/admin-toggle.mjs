// Toggling the queue at runtime from an admin endpoint. Recalls in flight during a switch
// are safe: each one's entries go through the queue or the sync path, never both.
// Run: node docs/examples/admin-toggle.mjs
import { createServer } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LmdbMemoryStore } from 'provenance-queue';

const store = await LmdbMemoryStore.open({ path: mkdtempSync(join(tmpdir(), 'admin-toggle-')) });
await store.insert({ id: 'tea', text: 'Ada prefers tea' });

const server = createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (req.method === 'POST' && url.pathname === '/admin/provenance-queue') {
    const on = url.searchParams.get('enabled') === 'true';
    if (on) store.enableProvenanceQueue();
    else await store.disableProvenanceQueue(); // drains before answering
    res.end(JSON.stringify({ enabled: store.provenanceQueue !== null, stats: store.provenanceQueue?.stats() ?? null }));
    return;
  }
  if (url.pathname === '/recall') {
    const hits = await store.recall({ cue: url.searchParams.get('q') ?? '', sessionId: 'http' });
    res.end(JSON.stringify(hits.map((h) => h.id)));
    return;
  }
  res.statusCode = 404;
  res.end();
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${server.address().port}`;

console.log('enable:', await (await fetch(`${base}/admin/provenance-queue?enabled=true`, { method: 'POST' })).text());
console.log('recall:', await (await fetch(`${base}/recall?q=tea`)).text());
console.log('disable:', await (await fetch(`${base}/admin/provenance-queue?enabled=false`, { method: 'POST' })).text());
console.log('entries for tea:', (await store.get('tea')).provenance.length);

server.close();
await store.close();
