// Usage examples, type-checked against the shipped declarations (dist/index.d.ts, imported
// by the package's own name) by test/types/types.test.ts. Never run: each line is there
// for what the compiler says about it. A `@ts-expect-error` line proves a misuse fails to
// compile; if it ever compiles, tsc reports the directive as unused and the test fails.
import { pino } from 'pino';
import {
  LmdbMemoryStore,
  ProvenanceWriteQueue,
  QueueEnabledError,
  type Logger,
  type ProvenanceEntry,
  type ProvenancePair,
  type ProvenanceQueueError,
  type ProvenanceSink,
  type QuarantinedEvent,
  type RecallProvenance,
  type StoredProvenanceEntry,
} from 'provenance-queue';

declare const spillDir: string;
const logger = pino({ level: 'warn' });

// ---- await using: the store closes, the queue stops, at the end of the block ----------
export async function scoped(): Promise<void> {
  await using store = await LmdbMemoryStore.open({ path: './memories', logger });
  await using queue = new ProvenanceWriteQueue(store, { spillDir, logger, exitHook: false });
  queue.start();
  queue.enqueue([['r1', { ts: new Date().toISOString(), cue: 'hello', sessionId: 's1' }]]);
  const durable: boolean = await queue.flush({ timeoutMs: 5000, signal: AbortSignal.timeout(5000) });
  void durable;
  await queue.stop({ timeoutMs: 1000 });
  await store.close({ signal: AbortSignal.timeout(10_000) });
}

// ---- a pino logger is a Logger as is ---------------------------------------------------
export const asLogger: Logger = logger;
export function storeQueue(store: LmdbMemoryStore): void {
  store.enableProvenanceQueue({ logger: pino(), coalesceMs: 20 });
  // @ts-expect-error a logger needs debug, info, warn and error
  store.enableProvenanceQueue({ logger: { info() {} } });
}

// ---- typed events ------------------------------------------------------------------------
export function watch(queue: ProvenanceWriteQueue): void {
  queue.on('spilled', ({ file, pairs }) => {
    const f: string = file;
    const n: number = pairs;
    void [f, n];
  });
  queue.on('quarantined', (e: QuarantinedEvent) => void e.reason.toUpperCase());
  queue.on('writeError', ({ error, pairs, attempt }) => void [error, pairs.toFixed(), attempt.toFixed()]);
  queue.once('idle', () => {});
  // @ts-expect-error 'spilled' carries { file, pairs }: no `count`
  queue.on('spilled', ({ count }) => void count);
  // @ts-expect-error no such event
  queue.on('spiled', () => {});
  // @ts-expect-error 'idle' has no payload
  queue.on('idle', (e: { file: string }) => void e);
}

// ---- generic entries: the extras recall writes are typed, entryId is there -------------
export async function history(store: LmdbMemoryStore): Promise<void> {
  const rec = await store.get('r1');
  if (!rec) return;
  const first = rec.provenance[0];
  if (!first) return;
  const rank: number | undefined = first.rank; // written by recall(); absent on hand-made entries
  const id: string = first.entryId; // every stored entry has one
  const cue: string = first.cue;
  void [rank, id, cue];
  // @ts-expect-error rank may be absent: not a plain number on a default store
  const sure: number = first.rank;
  void sure;
}

export async function recallOnly(): Promise<void> {
  const store = await LmdbMemoryStore.open<RecallProvenance>({ path: './memories' });
  const [hit] = await store.recall({ cue: 'hello', sessionId: 's1', k: 3 });
  const rank: number = hit!.record.provenance[0]!.rank; // every entry comes from recall
  const score: number = hit!.score;
  void [rank, score];
  await store.close();
}

type Tenanted = { tenant: string };
export const tenanted: ProvenanceEntry<Tenanted> = { ts: '2026-01-31T12:00:00.000Z', cue: 'c', sessionId: 's', tenant: 't1' };
// @ts-expect-error the declared extra is required
export const missingTenant: ProvenanceEntry<Tenanted> = { ts: '2026-01-31T12:00:00.000Z', cue: 'c', sessionId: 's' };
export const pairs: ProvenancePair[] = [['r1', { ...tenanted, rank: 0 }]]; // extras are allowed on any entry
export function stored(e: StoredProvenanceEntry<Tenanted>): string {
  return `${e.entryId} ${e.tenant}`;
}
// @ts-expect-error an input entry's entryId may be absent: only stored entries always have one
export const noId: string = tenanted.entryId;

// ---- a direct queue needs its spill dir; internals are not part of the API -------------
export function misuse(sink: ProvenanceSink, queue: ProvenanceWriteQueue): void {
  // @ts-expect-error spillDir is required for a queue built directly
  new ProvenanceWriteQueue(sink, {});
  // @ts-expect-error the exit drain is internal
  queue.drainSync('exit');
  // @ts-expect-error the store's own enqueue is internal
  queue.enqueueOwned([]);
  // @ts-expect-error flush takes a timeout in ms or { timeoutMs, signal }
  void queue.flush('soon');
  // @ts-expect-error stop takes { timeoutMs, signal }
  void queue.stop(500);
}

// ---- errors carry a stable code --------------------------------------------------------
export function enableAgain(store: LmdbMemoryStore): void {
  try {
    store.enableProvenanceQueue({ coalesceMs: 99 });
  } catch (err) {
    if (err instanceof QueueEnabledError) {
      const code: 'PROVQ_QUEUE_ENABLED' = err.code;
      void code;
    }
    const code: string | undefined = (err as ProvenanceQueueError).code;
    void code;
  }
}
