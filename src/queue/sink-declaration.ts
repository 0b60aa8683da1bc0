// What a sink declares about itself, read and checked once, when the queue is made: its
// methods, how many calls it takes at once, its name. A declaration that is wrong (a
// getter that throws, `maxConcurrentWrites: NaN`, a sinkId that is not a string) is
// refused there, with an InvalidOptionsError naming the field, instead of surfacing later
// inside the worker (NaN calls in flight: no call ever started, and nothing said why).
import { InvalidOptionsError } from '../errors.js';
import type { ProvenanceSink } from '../sink.js';
import { ANONYMOUS_SINK } from '../spill/dir-owner.js';
import { describeValue } from '../validate.js';

/** The sink's declaration, checked. */
export interface SinkDeclaration {
  /** Sink calls the queue may keep in flight: an integer >= 1 (1 when the sink says nothing). */
  maxConcurrentWrites: number;
  sinkId: string;
}

/** Most calls in flight a sink may declare (more would only be a typo: the queue caps fresh calls at 64). */
export const MAX_DECLARED_CONCURRENT_WRITES = 65_536;

/** Reads `sink[field]`; a getter that throws is the sink's fault, named as such. */
function read(sink: ProvenanceSink, field: keyof ProvenanceSink): unknown {
  try {
    return sink[field];
  } catch (err) {
    const why = err instanceof Error ? err.message : 'a non-Error value';
    throw new InvalidOptionsError(`ProvenanceWriteQueue: reading sink.${field} threw (${why}); make it a plain property or a getter that does not throw`, {
      cause: err,
    });
  }
}

/** Throws InvalidOptionsError naming the sink's field at fault and what it should be. */
export function readSinkDeclaration(sink: ProvenanceSink): SinkDeclaration {
  if (typeof sink !== 'object' && typeof sink !== 'function') {
    throw new InvalidOptionsError(`ProvenanceWriteQueue: sink must be an object with an appendProvenanceBatch(pairs) method, got ${describeValue(sink)}`);
  }
  if (sink === null) throw new InvalidOptionsError('ProvenanceWriteQueue: sink must be an object with an appendProvenanceBatch(pairs) method, got null');
  if (typeof read(sink, 'appendProvenanceBatch') !== 'function') {
    throw new InvalidOptionsError('ProvenanceWriteQueue: sink must have an appendProvenanceBatch(pairs) method');
  }
  const sync = read(sink, 'appendProvenanceBatchSync');
  if (sync !== undefined && typeof sync !== 'function') {
    throw new InvalidOptionsError(
      `ProvenanceWriteQueue: sink.appendProvenanceBatchSync must be a method (durable when it returns) or absent, got ${describeValue(sync)}`,
    );
  }
  const max = read(sink, 'maxConcurrentWrites');
  if (max !== undefined && !(typeof max === 'number' && Number.isInteger(max) && max >= 1 && max <= MAX_DECLARED_CONCURRENT_WRITES)) {
    throw new InvalidOptionsError(
      `ProvenanceWriteQueue: sink.maxConcurrentWrites must be an integer from 1 to ${MAX_DECLARED_CONCURRENT_WRITES} (sink calls the queue may keep in flight), or absent for 1; got ${describeValue(max)}`,
    );
  }
  const sinkId = read(sink, 'sinkId');
  if (sinkId !== undefined && !(typeof sinkId === 'string' && sinkId.length > 0)) {
    throw new InvalidOptionsError(`ProvenanceWriteQueue: sink.sinkId must be a non-empty string naming where the pairs go, or absent; got ${describeValue(sinkId)}`);
  }
  return { maxConcurrentWrites: max ?? 1, sinkId: sinkId ?? ANONYMOUS_SINK };
}
