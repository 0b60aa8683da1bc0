// The synchronous way out, for process exit and stop deadlines: pairs still unsaved go
// through the sink's sync write, else into a spill file, else as spill lines on stderr.
import { errorFields, type Logger } from '../log.js';
import { FRESH_VALIDATED, type ProvenanceSink } from '../sink.js';
import { spillTextChunks, type IdentifiedPair, type SpillFileWritten, type SpillWriter } from '../spill/spill-writer.js';
import { writeAllToStderrSync } from './stderr-dump.js';

export type SavedTo = { to: 'sink' } | { to: 'spill'; files: SpillFileWritten[] } | { to: 'stderr' };

export function saveSync(pairs: IdentifiedPair[], sink: ProvenanceSink, spill: SpillWriter, log: Logger, reason: string): SavedTo {
  if (sink.appendProvenanceBatchSync) {
    try {
      sink.appendProvenanceBatchSync(pairs, FRESH_VALIDATED);
      return { to: 'sink' };
    } catch (err) {
      log.error({ reason, pairs: pairs.length, ...errorFields(err) }, 'sync sink write failed; spilling instead');
    }
  }
  try {
    const files = spill.appendSync(pairs);
    log.info({ reason, pairs: pairs.length, files: files.map((f) => f.name) }, 'pending pairs spilled');
    return { to: 'spill', files };
  } catch (err) {
    // Last resort: the spill lines on stderr, every one of them, so an operator can save them.
    log.error({ reason, pairs: pairs.length, ...errorFields(err) }, 'could not save pairs; their spill lines follow on stderr');
    try {
      if (!writeAllToStderrSync(spillTextChunks(pairs))) log.error({ reason, pairs: pairs.length }, 'stderr is closed; the spill lines could not be written');
    } catch (stderrErr) {
      log.error({ reason, pairs: pairs.length, ...errorFields(stderrErr) }, 'stderr failed; the spill lines could not all be written');
    }
    return { to: 'stderr' };
  }
}
