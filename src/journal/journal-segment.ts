// One journal segment file: claimed and created, written, fsync'd in the thread pool, closed.
// An fsync under way keeps the descriptor open even after the writer is done with it, so it
// never syncs (or reports an error for) a descriptor number reused by another file.
//
// A new segment's name lives in its directory, which fdatasync of the segment does not
// write (POSIX asks for an fsync of the directory): its first fsync fsyncs the directory
// too — and the directories made for it — so "power loss loses at most fsyncMs" holds for a
// segment that was just created. Not proven by a test that fails without it: every
// filesystem this project's tests can mount (ext4 with or without a journal, ext2 through
// the ext4 driver, xfs, btrfs) makes a new file's name durable on the file's fsync anyway;
// test/journal/journal-dir-sync.test.ts checks that the directory fsyncs are made.
import * as fs from 'node:fs';
import { close, closeSync, fdatasync, fdatasyncSync, fsync, fsyncSync, ftruncate, open, openSync } from 'node:fs';
import { join } from 'node:path';
import lockfile from 'proper-lockfile';
import type { Logger } from '../log.js';
import { ensureSpillDirSync, parentsDurable, parentsNotDurable } from '../spill/spill-dir.js';
import type { JournalMap } from './journal-map.js';
import { journalSegmentName, segmentsWrittenHere } from './journal-names.js';
import { mapSegmentFile, unmapSegment, type MappedSpace } from './mapped-segment.js';

export interface Segment {
  readonly name: string;
  readonly dir: string;
  /** Its name is durable in its directory (an fsync of the directory ended after it was made). */
  dirSynced: boolean;
  /** Open for writing; null once rotated or removed. */
  fd: number | null;
  /** The descriptor until it is closed: an fsync or a truncate under way keeps it open after `fd` is null. */
  openFd: number | null;
  /** fsyncs and truncates of `openFd` under way in the thread pool. */
  callsInFlight: number;
  /** Rotated with writes not yet fsync'd: the descriptor stays open for the fsync they may need. */
  keptForFsync: boolean;
  /** Bytes written (a mapped segment's file is longer until it is closed: its allocation). */
  bytes: number;
  pairs: number;
  /** Written by copies into a shared mapping (mapped-segment.ts); null: with write(2). */
  mapped: MappedSpace | null;
  /** Why a segment meant to be mapped is written with write(2) (its allocation failed). */
  unmappedBecause: unknown;
  /** One past the highest sequence number written to it. */
  hiSeq: number;
  /**
   * An fsync of it failed (0: never): the rewrite generation that covers its unsaved pairs.
   * Its pages may be gone from the cache unwritten, and a second fsync would not say so:
   * it takes no more writes and is never fsync'd again.
   */
  failedGen: number;
  /** The rewrite generation whose pairs were written into it (0: none). */
  rewriteGen: number;
  /**
   * Another process took its claim over (this one stalled past the reader's claimStaleMs):
   * it may have read the segment and deleted it, so it takes no more writes, and its
   * claim, which is that process's now, is never released from here.
   */
  claimLost: boolean;
  /** When (performance.now()) its claim was made or last refreshed: an older one may be another's. */
  refreshedAt: number;
  readonly unlock: () => void;
  /** The claim released with its directory removed in the thread pool; resolves once it is gone (or could not be removed). */
  readonly unlockInBackground: () => Promise<void>;
}

/**
 * Claims and creates a fresh segment in `dir` (created 0700 if missing); throws what the disk
 * says. With `mapping`, its file is allocated (`bytes`) and mapped; when that fails the
 * segment is written with write(2) and `unmappedBecause` says why.
 */
export function openSegment(
  dir: string,
  claimStaleMs: number,
  log: Logger,
  onClaimLost: (name: string) => void,
  mapping: { map: JournalMap; bytes: number; touchFirst: boolean } | null = null,
): Segment {
  ensureSpillDirSync(dir);
  const name = journalSegmentName();
  const path = join(dir, name);
  let refreshedAt = performance.now();
  let segment: Segment | null = null;
  // Claimed before it exists, so no other process can claim and read it half-written.
  const release = lockfile.lockSync(path, {
    // Each refresh of the claim is noted: the writer checks before a write that it is recent.
    fs: {
      ...fs,
      utimesSync: (...args: Parameters<typeof fs.utimesSync>) => {
        fs.utimesSync(...args);
        refreshedAt = performance.now();
        if (segment) segment.refreshedAt = refreshedAt;
      },
    },
    realpath: false,
    stale: claimStaleMs,
    // Refreshed every second: a reader takes a dead pid's claim once it is 2 s old, and a
    // live writer's (say, in another pid namespace) is never that old.
    update: 1000,
    onCompromised: (err: Error) => {
      log.warn({ file: name, err: { message: err.message } }, 'journal claim lost (clock jump or stalled process); rotating');
      onClaimLost(name);
    },
  });
  const unlock = () => {
    if (segment?.claimLost) return; // another process's claim now: not ours to remove
    try {
      release();
    } catch {
      // already released or taken over: nothing of ours to undo
    }
  };
  const unlockInBackground = async () => {
    if (segment?.claimLost) return;
    // The same claim (proper-lockfile keys it by path): its refresh stops now, its directory goes in the pool.
    await lockfile.unlock(path, { realpath: false }).catch(() => {});
  };
  let fd: number;
  try {
    fd = openSync(path, 'wx+', 0o600); // read and write: a shared mapping needs both
  } catch (err) {
    unlock();
    throw err;
  }
  let mapped: MappedSpace | null = null;
  let unmappedBecause: unknown = null;
  if (mapping) {
    try {
      mapped = mapSegmentFile(mapping.map, fd, mapping.bytes, mapping.touchFirst);
    } catch (err) {
      unmappedBecause = err;
    }
  }
  segmentsWrittenHere.add(name);
  segment = { name, dir, dirSynced: false, fd, openFd: fd, callsInFlight: 0, keptForFsync: false, bytes: 0, pairs: 0, mapped, unmappedBecause, hiSeq: 0, failedGen: 0, rewriteGen: 0, claimLost: false, refreshedAt, unlock, unlockInBackground };
  return segment;
}

/** The directories to fsync before a first fsync of `s` counts: its own, and any made for it. */
function dirsToSync(s: Segment): string[] {
  return [...parentsNotDurable(s.dir), s.dir];
}

/**
 * fdatasync in the thread pool, after an fsync of its directories the first time; `done`
 * gets the first error. The descriptor stays open until it ends.
 */
export function syncSegment(s: Segment, done: (err: NodeJS.ErrnoException | null) => void): void {
  const fd = s.openFd;
  if (fd === null) return;
  const finish = callOnFd(s, done);
  if (s.dirSynced) {
    fdatasync(fd, finish);
    return;
  }
  const dirs = dirsToSync(s);
  fsyncDirs(dirs, 0, (err) => {
    if (err) return finish(err);
    dirsSynced(s, dirs);
    fdatasync(fd, finish);
  });
}

/** Counts a call on the segment's descriptor as under way; the callback it returns ends it (and closes the descriptor if it was let go meanwhile). */
function callOnFd(s: Segment, done: (err: NodeJS.ErrnoException | null) => void): (err: NodeJS.ErrnoException | null) => void {
  s.callsInFlight++;
  return (err) => {
    if (--s.callsInFlight === 0 && s.fd === null && !s.keptForFsync) closeOpenFd(s); // closed for writing meanwhile
    done(err);
  };
}

/** The same, now, for a segment left for recovery at exit: throws what the disk says. */
export function syncSegmentSync(s: Segment, fd: number): void {
  if (!s.dirSynced) {
    const dirs = dirsToSync(s);
    for (const d of dirs) {
      const dfd = openSync(d, 'r');
      try {
        fsyncSync(dfd);
      } finally {
        closeSync(dfd);
      }
    }
    dirsSynced(s, dirs);
  }
  fdatasyncSync(fd);
}

function dirsSynced(s: Segment, dirs: string[]): void {
  s.dirSynced = true;
  parentsDurable(s.dir, dirs);
}

function fsyncDirs(dirs: string[], i: number, done: (err: NodeJS.ErrnoException | null) => void): void {
  if (i === dirs.length) return done(null);
  open(dirs[i]!, 'r', (err, dfd) => {
    if (err) return done(err);
    fsync(dfd, (syncErr) => {
      close(dfd, () => (syncErr ? done(syncErr) : fsyncDirs(dirs, i + 1, done)));
    });
  });
}

/**
 * A mapped segment takes no more copies: unmapped now (never left to the garbage collector),
 * its file cut to the bytes written unless it is about to be deleted (`keepLength`).
 */
export function unmapSegmentNow(s: Segment, keepLength = false): void {
  const m = s.mapped;
  if (!m) return;
  s.mapped = null;
  unmapSegment(m, s.openFd, keepLength ? null : s.bytes);
}

/** No more writes; the descriptor is closed now, or when the last fsync under way ends. `deleting`: its file goes next. */
export function closeSegment(s: Segment, deleting = false): void {
  unmapSegmentNow(s, deleting);
  s.fd = null;
  s.keptForFsync = false;
  if (s.callsInFlight === 0) closeOpenFd(s);
}

/**
 * No more writes; the descriptor stays open for an fsync its writes may still need
 * (closeSegment ends that). A mapped segment's file is cut to its lines in the thread pool
 * (freeing the allocation's tail took ~1 ms of the caller's turn; most rotated segments are
 * deleted soon after): until then its tail of zeros reads as unwritten space.
 */
export function retireSegment(s: Segment): void {
  const m = s.mapped;
  if (m) {
    s.mapped = null;
    unmapSegment(m, null, null);
    const fd = s.openFd;
    if (fd !== null) ftruncate(fd, s.bytes, callOnFd(s, () => {})); // a failure leaves the zeros: read as unwritten
  }
  s.fd = null;
  s.keptForFsync = true;
}

function closeOpenFd(s: Segment): void {
  const fd = s.openFd;
  if (fd === null) return;
  s.openFd = null;
  try {
    closeSync(fd);
  } catch {
    // close reports a writeback error at most; the fsync that matters reported it already
  }
}
