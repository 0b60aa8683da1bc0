// The native part of the mapped journal (native/journal-map/journal_map.c, built at install by
// scripts/build-journal-map.mjs): a segment file allocated whole and mapped MAP_SHARED, so a
// turn's lines reach the page cache by a memcpy instead of a write(2) — on a kernel with
// page-table isolation and no PCID every system call flushes the TLB, which the recall after
// it pays for (docs/performance.md). Without it the journal writes as before, and says so
// once (PROVQ_JOURNAL_UNMAPPED).
import { createRequire } from 'node:module';
import type { Logger } from '../log.js';

/** A mapping made by the addon; only the addon looks inside. */
export type MapHandle = { readonly __journalMap: unique symbol };

export interface JournalMap {
  /** posix_fallocate: every block of `bytes` exists before it is mapped; throws ENOSPC and the like. */
  allocate(fd: number, bytes: number): void;
  map(fd: number, bytes: number): MapHandle;
  /** The pages of [from, to) made present and writable now; throws (EFAULT) where a copy would be a SIGBUS. */
  populate(map: MapHandle, from: number, to: number): void;
  /** memcpy of `bytes` to offset `at`; a RangeError past the mapping's end. */
  copy(map: MapHandle, at: number, bytes: Uint8Array): void;
  /** munmap, once; the handle takes no more copies. */
  unmap(map: MapHandle): void;
}

export type JournalMapState = { kind: 'loaded'; map: JournalMap } | { kind: 'off' } | { kind: 'unavailable'; reason: string };

/** Where the install script builds it, from src/journal and dist/journal alike. */
const ADDON = '../../native/journal-map/build/Release/provq_journal_map.node';
const REBUILD = 'run `node node_modules/provenance-queue/scripts/build-journal-map.mjs` (needs python3, make and a C compiler)';

/**
 * The addon, unless `PROVQ_JOURNAL_MAP=off` (the write(2) journal, chosen) or it cannot be
 * loaded. `PROVQ_JOURNAL_MAP_ADDON` names another build of it (tests load a missing one).
 */
export function loadJournalMap(env: NodeJS.ProcessEnv = process.env): JournalMapState {
  if (env.PROVQ_JOURNAL_MAP === 'off') return { kind: 'off' };
  if (process.platform !== 'linux') return { kind: 'unavailable', reason: `the mapped journal is built for Linux only (this is ${process.platform})` };
  const path = env.PROVQ_JOURNAL_MAP_ADDON || ADDON;
  try {
    const addon = createRequire(import.meta.url)(path) as Partial<JournalMap>;
    for (const fn of ['allocate', 'map', 'populate', 'copy', 'unmap'] as const) {
      if (typeof addon[fn] !== 'function') return { kind: 'unavailable', reason: `${path} has no ${fn}(): not this library's journal map; ${REBUILD}` };
    }
    return { kind: 'loaded', map: addon as JournalMap };
  } catch (err) {
    return { kind: 'unavailable', reason: `cannot load ${path} (${(err as Error).message.split('\n')[0]}); ${REBUILD}` };
  }
}

let installed: JournalMapState | undefined;

/** {@link loadJournalMap}, once per process. */
export function installedJournalMap(): JournalMapState {
  installed ??= loadJournalMap();
  return installed;
}

/** The addon, or null (the write(2) journal); logs `PROVQ_JOURNAL_UNMAPPED` when it could not be loaded. */
export function journalMapFor(journalDir: string, log: Logger, state: JournalMapState = installedJournalMap()): JournalMap | null {
  if (state.kind === 'loaded') return state.map;
  if (state.kind === 'unavailable') {
    log.warn(
      { journalDir, code: 'PROVQ_JOURNAL_UNMAPPED', reason: state.reason },
      'the journal writes each turn with write(2): as safe, but every recall pays a system call (slower where syscalls flush the TLB)',
    );
  }
  return null;
}
