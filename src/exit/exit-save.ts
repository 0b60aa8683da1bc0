// The synchronous way out, for process exit and stop deadlines: pairs still unsaved go
// through the sink's sync write, else into a spill file, else as spill lines on stderr.
// A stop deadline tries the spill file first: the deadline passed because the sink did not
// answer, and a sync write to that sink can block the thread (LMDB waits for a write lock
// another process holds) where a file write does not.
import { errorFields, type Logger } from '../log.js';
import { FRESH_VALIDATED, type ProvenanceSink } from '../sink.js';
import { spillTextChunks, type IdentifiedPair, type SpillFileWritten, type SpillWriter } from '../spill/spill-writer.js';
import { writeAllToStderrSync } from './stderr-dump.js';

/** `answer`: what the sink's sync write returned (a SinkWriteResult, or anything: read with care). */
export type SavedTo = { to: 'sink'; answer: unknown } | { to: 'spill'; files: SpillFileWritten[] } | { to: 'stderr' };

/** Which way is tried first: the sink's sync write (at exit) or a spill file (at a stop deadline). */
export type SaveFirst = 'sink' | 'spill';

export function saveSync(pairs: IdentifiedPair[], sink: ProvenanceSink, spill: SpillWriter, log: Logger, reason: string, first: SaveFirst): SavedTo {
  const ways = first === 'spill' ? [toSpill, toSink] : [toSink, toSpill];
  for (const way of ways) {
    const saved = way(pairs, sink, spill, log, reason);
    if (saved) return saved;
  }
  // Last resort: the spill lines on stderr, every one of them, so an operator can save them.
  log.error({ reason, pairs: pairs.length }, 'could not save pairs; their spill lines follow on stderr');
  try {
    if (!writeAllToStderrSync(spillTextChunks(pairs))) log.error({ reason, pairs: pairs.length }, 'stderr is closed; the spill lines could not be written');
  } catch (stderrErr) {
    log.error({ reason, pairs: pairs.length, ...errorFields(stderrErr) }, 'stderr failed; the spill lines could not all be written');
  }
  return { to: 'stderr' };
}

type Way = (pairs: IdentifiedPair[], sink: ProvenanceSink, spill: SpillWriter, log: Logger, reason: string) => SavedTo | null;

const toSink: Way = (pairs, sink, _spill, log, reason) => {
  try {
    // Looked up inside the try: a getter that throws now (it did not when the queue was made)
    // must not end the exit drain before the spill file.
    if (!sink.appendProvenanceBatchSync) return null;
    const answer: unknown = sink.appendProvenanceBatchSync(pairs.slice(), FRESH_VALIDATED);
    return { to: 'sink', answer };
  } catch (err) {
    log.error({ reason, pairs: pairs.length, ...errorFields(err) }, 'sync sink write failed');
    return null;
  }
};

const toSpill: Way = (pairs, _sink, spill, log, reason) => {
  try {
    const files = spill.appendSync(pairs);
    log.info({ reason, pairs: pairs.length, files: files.map((f) => f.name) }, 'pending pairs spilled');
    return { to: 'spill', files };
  } catch (err) {
    log.error({ reason, pairs: pairs.length, ...errorFields(err) }, 'could not spill the pending pairs');
    return null;
  }
};
