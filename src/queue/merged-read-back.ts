// One round of read-back over a directory's files, oldest first, merged into full sink
// calls: small files share a call (a backlog of 40-pair files costs calls of maxBatchPairs,
// not one call per file), the next files are claimed and read while calls commit, and up
// to `lanes` calls are in flight. A file is deleted only once every call holding its pairs
// has resolved. A file whose call failed, or named records the sink does not know, is left
// in place and read back alone later (the per-file path sets refused pairs aside).
import type { Logger } from '../log.js';
import type { SpillClaim } from '../spill/spill-claims.js';
import type { ChunkDelivered, ReplayOutcome } from '../spill/replay.js';
import { removeIfUnchangedSync } from '../spill/file-version.js';
import { readSmallSpillFile } from '../spill/spill-reader.js';
import type { IdentifiedPair } from '../spill/spill-writer.js';
import { InFlight } from './in-flight.js';

/** Files read ahead before the round knows how big its files are. */
const FIRST_READ_AHEAD = 4;
/** Files larger than this are not merged (read whole) but streamed on their own. */
const MERGE_MAX_FILE_BYTES = 4 * 1024 * 1024;

export interface MergedRoundHost {
  deliver(pairs: IdentifiedPair[]): Promise<ChunkDelivered>;
  sinkDown(): boolean;
  /** Claims a file; null when another process holds it or it is gone; throws on an I/O error. */
  claim(name: string): Promise<SpillClaim | null>;
  /** A file that is not plain pairs (empty, malformed, ...): dealt with by the per-file path. */
  replayAlone(claim: SpillClaim): Promise<ReplayOutcome>;
  fileDone(name: string, outcome: ReplayOutcome): void;
  /** The file must be read back alone next time (its merged call failed or had unknown records). */
  readAlone(name: string): void;
  /** A claim or read failed for a passing reason: try again later. */
  failed(name: string, err: unknown): void;
  /** Fresh pairs wait in memory (or the queue halted): past `minPairs`, the round takes no more files. */
  otherWorkWaiting(): boolean;
}

export interface MergedRoundOptions {
  chunkPairs: number;
  lanes: number;
  /** Files claimed and read ahead of the calls, at most. */
  readAhead: number;
  /**
   * Pairs read ahead, about: fewer files are read ahead as they grow (the average of the
   * round's files so far decides), so 32 files of 16,384 pairs are never parsed at once.
   */
  readAheadPairs: number;
  /**
   * A round takes files until it holds `maxPairs`, or `minPairs` once other work waits (the
   * worker looks at memory between rounds): an idle queue drains a backlog in long rounds,
   * without a pause and a directory listing every few thousand pairs, while fresh pairs
   * never wait behind more than `minPairs` of read-back.
   */
  minPairs: number;
  maxPairs: number;
  dropTornTail: boolean;
  log: Logger;
}

interface FileInRound {
  name: string;
  claim: SpillClaim;
  pairs: number;
  torn: number;
  /** Calls holding some of its pairs that have not resolved yet. */
  open: number;
  /** All its pairs are in calls. */
  sent: boolean;
  failed: boolean;
  /** Deleted or handed back: settled once. */
  settled: boolean;
  /** The file as it was read: deleted only if it is still that one (file-version.ts). */
  version: string | undefined;
}

/** A file read whole to be merged, or one to replay on its own (too big to merge, malformed, ...) in its turn. */
type Loaded = { file: FileInRound; pairs: IdentifiedPair[] } | { alone: SpillClaim } | null;

/** Runs one round; resolves with the number of files it finished (applied, quarantined, ...). */
export async function mergedReadBackRound(names: string[], host: MergedRoundHost, opts: MergedRoundOptions): Promise<{ finished: number; sinkFailed: boolean }> {
  let finished = 0;
  let sinkFailed = false;
  let buffer: IdentifiedPair[] = [];
  let bufferFiles = new Set<FileInRound>();
  /** Calls in flight; each catches what it awaits, so none rejects. */
  const calls = new InFlight();
  /** What a call threw that was not a sink failure (a bug): the round ends with it. */
  const broken: unknown[] = [];
  /** Files being deleted or handed back; settle() catches what it awaits, so none rejects. */
  const settling = new InFlight();
  const track = (p: Promise<void>): void => settling.add(p);

  const settle = async (f: FileInRound): Promise<void> => {
    // Not while some of its pairs wait in the buffer for the next call: an earlier call's
    // success must not delete a file whose last pairs are not even sent (that call could fail).
    if (!f.sent || f.open > 0 || bufferFiles.has(f) || f.settled) return;
    f.settled = true;
    try {
      if (f.failed) {
        host.readAlone(f.name);
        return;
      }
      // Every pair durable: also safe if the claim was taken over — unless the file changed
      // after it was read (it is read again then). A file gone already was deleted by
      // whoever took the claim over.
      removeIfUnchangedSync(f.claim.path, f.name, f.version);
      finished++;
      host.fileDone(f.name, f.torn ? { kind: 'applied', pairs: f.pairs, tornLines: f.torn } : { kind: 'applied', pairs: f.pairs });
    } catch (err) {
      host.failed(f.name, err);
    } finally {
      await f.claim.release().catch(() => {});
    }
  };

  const send = async (): Promise<void> => {
    if (buffer.length === 0) return;
    while (calls.size >= opts.lanes) await calls.below(opts.lanes);
    const pairs = buffer;
    const files = bufferFiles;
    buffer = [];
    bufferFiles = new Set();
    if (sinkFailed || host.sinkDown()) {
      // The sink is failing: these files stay where they are, for a later round.
      for (const f of files) {
        f.failed = true;
        track(settle(f));
      }
      return;
    }
    for (const f of files) f.open++;
    const call = (async () => {
      let ok = false;
      try {
        const done = await host.deliver(pairs);
        ok = done.ok && !(done.unknownRecords && done.unknownRecords.length > 0);
        if (!done.ok) sinkFailed = true;
      } catch (err) {
        // Not a sink failure (those resolve not ok) but a bug: the outcome is unknown, so the
        // files stay, to be read back alone after a backoff, never deleted on a guess; the
        // round ends with this error once its files are settled (the worker's supervisor
        // reports it). It used to be an unhandled rejection, and a worker that stopped.
        sinkFailed = true;
        broken.push(err);
        for (const f of files) host.failed(f.name, err);
      }
      for (const f of files) {
        f.open--;
        if (!ok) f.failed = true;
        track(settle(f)); // deleting files does not hold the call's slot
      }
    })();
    calls.add(call);
  };

  const load = async (name: string): Promise<Loaded> => {
    let claim: SpillClaim | null;
    try {
      claim = await host.claim(name);
    } catch (err) {
      host.failed(name, err);
      return null;
    }
    if (!claim) return null;
    try {
      // Only small files are read whole to be merged; a big one is streamed on its own
      // (replayAlone), so a file's size never decides the heap.
      const content = await readSmallSpillFile(claim.path, name, MERGE_MAX_FILE_BYTES, { dropTornTail: opts.dropTornTail });
      // A journal segment with data after zeros goes alone: its rest is set aside once its lines are durable.
      if (content.kind === 'pairs' && !content.rest) {
        const file = { name, claim, pairs: content.pairs.length, torn: content.tornLines ?? 0, open: 0, sent: false, failed: false, settled: false, version: content.version };
        return { file, pairs: content.pairs };
      }
      if (content.kind === 'gone') {
        // Applied and deleted by another process since the listing: nothing to do (as a claim that found it gone).
        await claim.release().catch(() => {});
        return null;
      }
      // Replayed in its turn by the loop below, once the calls before it have resolved: not
      // here, beside them (past the sink's maxConcurrentWrites, and ahead of older files).
      return { alone: claim };
    } catch (err) {
      host.failed(name, err);
    }
    await claim.release().catch(() => {});
    return null;
  };

  const replayAlone = async (claim: SpillClaim): Promise<void> => {
    await send(); // the pairs of older files go first
    await calls.empty();
    try {
      if (!sinkFailed && !host.sinkDown()) {
        const outcome = await host.replayAlone(claim);
        if (outcome.kind !== 'skipped' || outcome.reason !== 'already gone') finished++;
        // Deferred (the sink failed it): with one lane the files behind it wait too, as behind
        // a failed call; the breaker may be over already, and their pairs would reach the sink
        // ahead of the file's. (Several lanes: the sink keeps order in its keys; as before.)
        // (Not for a lonely pair's file: the calls after it tell whether the sink is up.)
        if (outcome.kind === 'deferred' && !outcome.lonely && opts.lanes === 1) sinkFailed = true;
        host.fileDone(claim.name, outcome);
      }
    } catch (err) {
      host.failed(claim.name, err);
    }
    await claim.release().catch(() => {});
  };

  // Files are claimed and read `readAhead` at a time, and fed to calls in name order.
  const loading: Promise<Loaded>[] = [];
  let next = 0;
  let taken = 0;
  const takeMore = () => taken < opts.maxPairs && (taken < opts.minPairs || !host.otherWorkWaiting());
  let seenFiles = 0;
  let seenPairs = 0;
  const aheadLimit = () =>
    seenFiles === 0
      ? Math.min(opts.readAhead, FIRST_READ_AHEAD)
      : Math.max(1, Math.min(opts.readAhead, Math.floor((opts.readAheadPairs * seenFiles) / seenPairs)));
  const fill = () => {
    while (loading.length < aheadLimit() && next < names.length && takeMore()) loading.push(load(names[next++]!));
  };
  /** The round takes no more files: the sink was down or failed at one (it may be up again by the next). */
  let stopped = false;
  fill();
  while (loading.length > 0) {
    const loaded = await loading.shift()!;
    if (stopped || host.sinkDown() || sinkFailed) {
      // Stop here: files read ahead are left for later, untouched — all of them, also once the
      // breaker is over (it opens on a search that ends well, and a success does not close it):
      // a file read ahead after one left here went to the sink ahead of it (breaker17).
      stopped = true;
      if (loaded) await ('alone' in loaded ? loaded.alone : loaded.file.claim).release().catch(() => {});
      continue;
    }
    fill();
    if (!loaded) continue;
    if ('alone' in loaded) {
      await replayAlone(loaded.alone);
      continue;
    }
    const { file, pairs } = loaded;
    taken += pairs.length;
    seenFiles++;
    seenPairs += pairs.length;
    for (let i = 0; i < pairs.length; i++) {
      buffer.push(pairs[i]!);
      bufferFiles.add(file);
      if (buffer.length >= opts.chunkPairs) await send();
    }
    file.sent = true;
    if (file.open === 0 && !bufferFiles.has(file)) track(settle(file));
    fill();
  }
  await send();
  await calls.empty();
  await settling.empty();
  if (broken.length > 0) throw broken[0];
  return { finished, sinkFailed };
}
