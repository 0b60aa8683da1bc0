// Read-back: spill files (this queue's, other processes', hand-made) and the journal
// segments of writers that are gone are claimed, oldest first, and written to the sink in
// merged calls (merged-read-back.ts); a file is deleted only after all of its pairs are durable. A file that fails for
// a passing reason (EIO, a remount) is tried again with backoff, never parked for ever.
import { errorFields, type Logger } from '../log.js';
import { DEAD_WRITER_STALE_MS, isJournalSegmentName, journalWriterMayLive } from '../journal/journal-names.js';
import type { IdentifiedPair } from '../spill/spill-writer.js';
import { assertDirOwner } from '../spill/dir-owner.js';
import { claimSpillFile } from '../spill/spill-claims.js';
import { checkSpillDir, listSpillDir, type SpillListing } from '../spill/spill-dir.js';
import { takeReadBackLease, type ReadBackLease } from '../spill/read-back-lease.js';
import type { SpillClaim } from '../spill/spill-claims.js';
import { replayClaimedFile, type ChunkDelivered, type ReplayOptions, type ReplayOutcome } from '../spill/replay.js';
import { mergedReadBackRound } from './merged-read-back.js';
import { recoverAbandonedTmpFiles } from '../spill/stale-tmp.js';
import { backoffDelay } from './backoff.js';
import { reasonFileFor } from '../spill/spill-file-name.js';

export interface ReadBackHost {
  readonly sinkId: string;
  /** Writes read-back pairs; not ok when the sink is failing. `once`: a single attempt (a probe). */
  deliver(pairs: IdentifiedPair[], once?: boolean): Promise<ChunkDelivered>;
  sinkDown(): boolean;
  /** Sink calls that succeeded so far (live and read-back). */
  sinkTook(): number;
  /** While stopping, only this queue's own spill files are read back. */
  stopping(): boolean;
  /** Spill files this queue wrote and has not read back yet. */
  readonly ownFiles: Map<string, number>;
  fileDone(name: string, outcome: ReplayOutcome): void;
  /** Fresh pairs wait in memory, or the queue halted: a read-back round should end soon. */
  otherWorkWaiting(): boolean;
}

export interface ReadBackOptions {
  spillDir: string;
  journalDir: string | null;
  chunkPairs: number;
  claimStaleMs: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /**
   * Files read back at once (the sink's maxConcurrentWrites): their sink calls overlap, so
   * a backlog of small files commits many files per transaction, and the next file is read
   * while the current ones commit. 1 keeps a sink's arrival order file by file.
   */
  parallelFiles: number;
  /**
   * Calls' worth of pairs (× chunkPairs) a round reads back, at least, before it gives way to
   * fresh pairs waiting in memory: the calls fresh pairs get (FRESH_CALLS_MAX), so the wait
   * does not grow with the calls read-back may keep in flight.
   */
  yieldAfterCalls: number;
}

/**
 * Files claimed and read while earlier files' calls commit, at most. A small file costs about
 * eight file-system calls (claim, open, read, close, delete, release) on libuv's thread pool:
 * many in flight keep the pool busy instead of waiting on one file's calls in turn.
 */
const READ_AHEAD_FILES = 32;
/** Pairs read ahead, about: big files (an overload's 16,384-pair spills) are read a few at a time. */
const READ_AHEAD_PAIRS = 8192;
/** Pairs a round reads back before it gives way to fresh pairs waiting in memory. */
const MIN_ROUND_PAIRS = 8192;
/** Pairs a round reads back at most, with nothing else waiting (then the directory is listed again). */
const MAX_ROUND_PAIRS = 262_144;

/** How a round claims its files (see claimsFor). */
interface RoundClaims {
  lease: ReadBackLease | null;
  /** Null when another process holds the file (or the lease was lost). */
  claim(name: string, checkPresent: boolean): Promise<SpillClaim | null>;
  end(): Promise<void>;
}

export class ReadBack {
  /** Set when the last pass stopped at a file because the sink failed. */
  deferred = false;
  private readonly retryAt = new Map<string, { failures: number; at: number }>();
  /** Files that last waited on a pair refused alone with none beside it (replay's `lonely`). */
  private readonly lonely = new Set<string>();
  /** Files that last waited on the sink, with how many calls it had taken then (`sinkUpSince`). */
  private readonly waitedAt = new Map<string, number>();
  private readonly problemsLogged = new Set<string>();
  /** Files to read back on their own: their merged call failed or named unknown records. */
  private readonly alone = new Set<string>();
  /** Files the lease's listing saw with a claim of their own: claimed alone, not covered. */
  private claimedAlone = new Set<string>();

  constructor(
    private readonly opts: ReadBackOptions,
    private readonly log: Logger,
    private readonly host: ReadBackHost,
  ) {}

  /** Reads back a round of files; true when it applied any (call again), false when there is nothing to do now. */
  async next(): Promise<boolean> {
    this.deferred = false;
    if (this.host.sinkDown()) return false;
    if (await this.nextIn(this.opts.spillDir, false)) return true;
    if (this.deferred || !this.opts.journalDir || this.host.stopping()) return false;
    return this.nextIn(this.opts.journalDir, true);
  }

  /** Milliseconds until a file that failed for a passing reason may be tried again (Infinity: none waits). */
  nextRetryInMs(): number {
    let min = Infinity;
    for (const r of this.retryAt.values()) min = Math.min(min, r.at - performance.now());
    return Math.max(0, min);
  }

  private async nextIn(dir: string, journal: boolean): Promise<boolean> {
    // Only files of ours that were in place before the listing began can be missing from it
    // for good: one spilled while the directory was being read may simply not be listed.
    const ownBefore = journal ? [] : [...this.host.ownFiles.keys()];
    const listing = await this.listingOf(dir, journal);
    if (listing === null) return false;
    if (!journal) {
      // A file of ours that another process applied and deleted is durable: forget it. One
      // it quarantined, or whose refused pairs it set aside, is in no sink (flush says so).
      const present = new Set(listing.pending);
      for (const name of ownBefore) if (!present.has(name) && this.host.ownFiles.has(name)) this.host.fileDone(name, goneOutcome(name, listing.quarantined));
    }
    if (this.picksOf(listing.pending, journal).length === 0) return false;
    const claims = await this.claimsFor(dir, journal);
    if (!claims) return false; // another process holds the lease: it reads these files back
    try {
      return await this.roundIn(dir, journal, claims, listing);
    } finally {
      await claims.end();
    }
  }

  /**
   * How this round claims files: in the spill dir under the directory's lease (a file with
   * a claim of its own is claimed as before), in the journal dir file by file (a live
   * writer holds its segment's claim). Null while another process holds the lease.
   */
  private async claimsFor(dir: string, journal: boolean): Promise<RoundClaims | null> {
    const staleMs = journal ? DEAD_WRITER_STALE_MS : this.opts.claimStaleMs;
    const alone = (underLease: boolean) => (name: string, checkPresent: boolean) =>
      claimSpillFile(dir, name, { staleMs, logger: this.log, checkPresent, underLease });
    if (journal) return { lease: null, claim: alone(false), end: async () => {} };
    let lease: ReadBackLease | null;
    try {
      lease = await takeReadBackLease(dir, { staleMs, logger: this.log });
    } catch (err) {
      // Cannot be taken (a read-only or failing filesystem): file by file, as before, so
      // each file's failure is retried with its own backoff.
      this.log.debug({ dir, ...errorFields(err) }, 'read-back lease not taken; claiming files one by one');
      return { lease: null, claim: alone(false), end: async () => {} };
    }
    if (!lease) return null;
    const held = lease;
    const claimAlone = alone(true);
    return {
      lease: held,
      claim: (name, checkPresent) => {
        if (held.compromised) return Promise.resolve(null); // lost: take no more files
        return this.claimedAlone.has(name) ? claimAlone(name, checkPresent) : Promise.resolve(held.cover(name));
      },
      end: () => held.release().catch(() => {}),
    };
  }

  /** One round over the directory's files: those to read alone first, then merged calls. */
  private async roundIn(dir: string, journal: boolean, claims: RoundClaims, first: SpillListing): Promise<boolean> {
    let listing: SpillListing | null = first;
    if (claims.lease) {
      // Listed again now that the lease is held: a file claimed before this listing is
      // seen claimed (and claimed alone); one claimed after it gives way to the lease.
      listing = await this.listingOf(dir, journal);
      if (listing === null) return false;
      this.claimedAlone = new Set(listing.claims.map((n) => n.slice(0, -'.lock'.length)));
    }
    const picks = this.picksOf(listing.pending, journal);
    // Files whose merged call failed go alone first, through the per-file path (which sets
    // refused pairs aside, and stops at a sink that is down); files that last waited on a
    // lonely pair go last, after the calls that tell whether the sink is up.
    const before = await this.readAlone(dir, journal, claims, picks.filter((n) => this.alone.has(n) && !this.lonely.has(n)));
    if (before.stopped) return before.applied > 0;
    const lanes = Math.max(1, this.opts.parallelFiles);
    const round = await mergedReadBackRound(
      picks.filter((n) => !this.alone.has(n)),
      {
        deliver: (p) => this.host.deliver(p),
        sinkDown: () => this.host.sinkDown(),
        // The merged path opens the file right after and takes a missing one as gone.
        claim: (name) => claims.claim(name, false),
        replayAlone: (claim) => replayClaimedFile(claim, this.replayOptions(dir, journal, claim.name)),
        fileDone: (name, outcome) => {
          this.retryAt.delete(name);
          if (outcome.kind === 'deferred') {
            this.deferred = true;
            this.alone.add(name);
            this.waitedAt.set(name, this.host.sinkTook());
            if (outcome.lonely) this.lonely.add(name);
            else this.lonely.delete(name); // waits on the sink now: read in its place again
            return;
          }
          this.forget(name);
          this.host.fileDone(name, outcome);
        },
        readAlone: (name) => this.alone.add(name),
        failed: (name, err) => this.noteFailure(name, err),
        otherWorkWaiting: () => this.host.otherWorkWaiting(),
      },
      {
        chunkPairs: this.opts.chunkPairs,
        lanes,
        readAhead: READ_AHEAD_FILES,
        readAheadPairs: READ_AHEAD_PAIRS,
        minPairs: Math.max(this.opts.chunkPairs * Math.min(lanes, this.opts.yieldAfterCalls), MIN_ROUND_PAIRS),
        maxPairs: MAX_ROUND_PAIRS,
        dropTornTail: journal,
        log: this.log,
      },
    );
    if (round.sinkFailed) this.deferred = true;
    const last = round.sinkFailed ? { applied: 0 } : await this.readAlone(dir, journal, claims, picks.filter((n) => this.lonely.has(n)));
    return before.applied + round.finished + last.applied > 0;
  }

  /** Reads `names` back one by one, until one waits on the sink (`stopped`); a lonely pair's file is passed by. */
  private async readAlone(dir: string, journal: boolean, claims: RoundClaims, names: string[]): Promise<{ applied: number; stopped?: true }> {
    let applied = 0;
    for (const name of names) {
      if (this.host.sinkDown()) {
        // Down on the way (a file's search for refused pairs opens the breaker even when it
        // ends well): the round ends here, as at a deferred file. Going on to the merged files
        // sent newer files' pairs ahead of these once the breaker was over, which it may be by
        // the time they are read (breaker17).
        this.deferred = true;
        return { applied, stopped: true };
      }
      const outcome = await this.apply(dir, name, journal, claims);
      if (outcome === 'busy' || outcome === 'failed') continue;
      this.retryAt.delete(name);
      if (outcome.kind === 'deferred') {
        this.alone.add(name);
        this.deferred = true;
        this.waitedAt.set(name, this.host.sinkTook());
        // A pair refused alone with none beside it: the sink may be up, and the files behind
        // it go on (their calls tell); it is searched again after them.
        if (outcome.lonely) {
          this.lonely.add(name);
          continue;
        }
        this.lonely.delete(name); // waits on the sink now: read in its place again
        return { applied, stopped: true };
      }
      this.forget(name);
      this.host.fileDone(name, outcome);
      applied++;
    }
    return { applied };
  }

  /** A file read back (applied, quarantined, gone): nothing about it is kept. */
  private forget(name: string): void {
    this.alone.delete(name);
    this.lonely.delete(name);
    this.waitedAt.delete(name);
  }

  /** The files a round may take, oldest first: not a live writer's segment, not one waiting to be retried. */
  private picksOf(pending: string[], journal: boolean): string[] {
    return pending.filter((name) => {
      if (journal && (!isJournalSegmentName(name) || journalWriterMayLive(name))) return false;
      if (!journal && this.host.stopping() && !this.host.ownFiles.has(name)) return false;
      const retry = this.retryAt.get(name);
      return !(retry && retry.at > performance.now());
    });
  }

  /** The directory's listing (pending files oldest first); null when it cannot be used now. */
  private async listingOf(dir: string, journal: boolean): Promise<SpillListing | null> {
    try {
      if (!(await checkSpillDir(dir))) return null;
      assertDirOwner(dir, this.host.sinkId, journal ? 'journal directory' : 'spill directory');
      if (!journal) await recoverAbandonedTmpFiles(dir, this.log);
      const listing = await listSpillDir(dir);
      this.problemsLogged.delete(dir);
      for (const name of listing.skipped) {
        if (this.problemsLogged.has(`${dir}/${name}`)) continue;
        this.problemsLogged.add(`${dir}/${name}`);
        this.log.warn({ file: name }, 'spill entry skipped: not a regular file (symlinks are never followed)');
      }
      return listing;
    } catch (err) {
      if (!this.problemsLogged.has(dir)) this.log.error({ dir, ...errorFields(err) }, 'cannot read back from this directory; trying again later');
      this.problemsLogged.add(dir);
      return null;
    }
  }

  private async apply(dir: string, name: string, journal: boolean, claims: RoundClaims): Promise<ReplayOutcome | 'busy' | 'failed'> {
    // A journal segment gets here only once its writer is gone: its claim is taken over as
    // soon as proper-lockfile allows.
    let claim;
    try {
      claim = await claims.claim(name, true);
    } catch (err) {
      this.noteFailure(name, err);
      return 'failed';
    }
    if (!claim) return 'busy';
    try {
      return await replayClaimedFile(claim, this.replayOptions(dir, journal, name));
    } catch (err) {
      this.noteFailure(name, err);
      return 'failed';
    } finally {
      await claim.release().catch(() => {});
    }
  }

  private replayOptions(dir: string, journal: boolean, name: string): ReplayOptions {
    const waited = this.waitedAt.get(name);
    return {
      dir,
      chunkPairs: this.opts.chunkPairs,
      logger: this.log,
      deliver: (p, once) => this.host.deliver(p, once),
      dropTornTail: journal,
      // One call in flight: the sink may keep arrival order, so a refused chunk is searched in order.
      inOrder: this.opts.parallelFiles <= 1,
      sinkUpSince: waited !== undefined && this.host.sinkTook() > waited,
    };
  }

  private noteFailure(name: string, err: unknown): void {
    const failures = (this.retryAt.get(name)?.failures ?? 0) + 1;
    const wait = backoffDelay(failures, this.opts.retryBaseMs * 4, this.opts.retryMaxMs);
    this.retryAt.set(name, { failures, at: performance.now() + wait });
    this.log.error({ file: name, attempt: failures, retryInMs: wait, ...errorFields(err) }, 'cannot read back a spill file; it stays and is tried again');
  }
}

/**
 * What became of a file of ours that another process took (a second process on the spill
 * dir, `provq spill replay`): set aside, when a quarantined form of it is listed — whole
 * (`<stem>.failed-…`) or its refused pairs (`<stem>-refused.failed-…`; those are published
 * before the file is removed, so the listing that misses the file shows them) — else
 * applied. (Pairs for unknown records set aside count as skipped, as in a fresh batch.)
 */
export function goneOutcome(name: string, quarantined: readonly string[]): ReplayOutcome {
  const stem = name.replace(/\.jsonl$/, '');
  const as = quarantined.find((q) => q.startsWith(`${stem}.failed-`) || q.startsWith(`${stem}-refused.failed-`));
  if (!as) return { kind: 'skipped', reason: 'gone' };
  return { kind: 'quarantined', as, reason: `set aside by another process as ${as} (its reason: ${reasonFileFor(as)})` };
}
