// `npm run mutate`: the core's mutation run in areas, each area's source against its own
// tests, one area after another (issue 14). Run over the whole suite at once, nearly every
// mutant of the core is covered by most tests, child-process tests included, and the run was
// estimated at ~37 h on two cores; by area, a mutant runs only the covering tests of its
// area's test files (seconds). Each area keeps its own incremental file and mutant log, so a
// stopped area resumes where it stopped (test/mutation/incremental-snapshot-reporter.mjs).
//
//   npm run mutate                                  # every area, in the order below
//   npm run mutate -- --area store                  # one area (or --area values,ids)
//   npm run mutate -- --area queue --force          # anything else is passed to `stryker run`
//   npm run mutate -- --whole                       # one run over the whole suite (stryker.config.mjs as it is)
//   npm run mutate -- --list                        # the areas, their sources and tests
//   npm run mutate -- --area spill --only src/spill/spill-reader.ts,src/spill/spill-line-judge.ts
//                                                   # some of an area's files first, against all its tests
//   node test/mutation/scores.mjs                   # the scores the state files hold, per file and area
//   node test/mutation/scores.mjs reports/mutants-*.jsonl   # the verdicts of this machine's runs so far
//
// A test file belongs to an area when it is written for that area's behaviour; a mutant
// killed only by another area's tests shows as a survivor here (docs/testing.md).
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { stateFile } from './state-report.mjs';

/** The areas: what is mutated, and the tests run against it. Globs as StrykerJS takes them. */
export const AREAS = {
  // What an entry may hold: reached by nearly every test of the suite (each enqueue and
  // insert), so measured against its own in-process tests only.
  values: {
    mutate: ['src/validate.ts', 'src/json-data.ts'],
    tests: [
      'test/validate.test.ts',
      'test/queue/json-entries.test.ts',
      'test/api/messages.test.ts',
      'test/api/wrong-values.test.ts',
      'test/api/entry-limits.test.ts',
      'test/api/entry-faults.test.ts',
      'test/store/entry-ids.test.ts', // an input entryId in the library's format, or refused
    ],
  },
  // Every pair's id and its order: also reached by every test; its own tests include child
  // processes (a clock stepped back between runs, kill -9 past the lease), ~30 s a mutant.
  ids: {
    mutate: ['src/entry-id.ts'],
    tests: [
      'test/store/entry-ids.test.ts',
      'test/store/entry-id-time.test.ts',
      'test/store/id-order.test.ts',
      'test/store/id-lease.test.ts',
    ],
  },
  // The LMDB store's write path. Left out for their cost (each mutant of the store is covered
  // by every test that opens one): disk-full and exit-mid-lmdb-batch (in the exit area),
  // cli/stats (historyCounts), the spill reader's tests (entry ids derived for hand-made lines).
  store: {
    mutate: [
      'src/store/lmdb-memory-store.ts',
      'src/store/provenance-writes.ts',
      'src/store/entry-keys.ts',
      'src/store/batch-entry-ids.ts',
      'src/store/id-high-water.ts',
      'src/store/lmdb-commit-guard.ts',
      'src/store/queue-toggle.ts',
      'src/store/recall-provenance.ts',
      'src/store/entry-value.ts',
    ],
    tests: [
      'test/store/lmdb-memory-store.test.ts',
      'test/store/entry-values.test.ts', // the values' bytes (entry-value.ts)
      'test/store/by-record.test.ts',
      'test/store/close-bounded.test.ts',
      'test/store/direct-queue.test.ts',
      'test/store/entry-ids.test.ts',
      'test/store/id-order.test.ts',
      'test/store/insert-failure.test.ts',
      'test/store/lmdb-env.test.ts',
      'test/store/open-failure.test.ts',
      'test/store/store-permissions.test.ts',
      'test/store/recall-hit-provenance.test.ts',
      'test/store/app-rejections.test.ts',
      'test/store/id-lease.test.ts',
      'test/store/store-lifecycle.test.ts',
      'test/queue/lifecycle.test.ts', // enableProvenanceQueue / disableProvenanceQueue (queue-toggle.ts)
      'test/api/messages.test.ts',
    ],
  },
  exit: {
    mutate: ['src/exit/**/*.ts', 'src/journal/**/*.ts'],
    tests: [
      'test/exit/*.test.ts',
      'test/journal/*.test.ts',
      'test/store/exit-mid-lmdb-batch.test.ts',
      'test/store/disk-full.test.ts',
      'test/queue/stop-races.test.ts', // a stop deadline halts the queue: halt-save.ts, flush false after it
    ],
  },
  queue: {
    mutate: ['src/queue/**/*.ts'],
    // Checked for this area (session 14, docs/testing.md "Where a mutant's time goes"): its files
    // share one worker's modules (the same verdicts, a third less time). Its temp dirs on a
    // tmpfs (MUTATE_TMPDIR=/dev/shm) were not taken: a few per cent, and a verdict changed.
    shareWorker: true,
    tests: [
      'test/queue/*.test.ts',
      'test/exit/late-enqueue.test.ts', // enqueue after the exit drain
      'test/spill/overflow.test.ts',
      'test/spill/spill-failure.test.ts',
      'test/spill/respool.test.ts',
      'test/spill/read-back-lease.test.ts',
      // read-back.ts's journal half (dead writers' segments, their torn last line): session
      // 11's queue run showed those mutants as survivors, killed only by this exit-area file.
      'test/journal/dead-writer.test.ts',
      'test/journal/power-cut-hole.test.ts', // merged read-back sends a segment with a rest alone
    ],
  },
  spill: {
    mutate: ['src/spill/**/*.ts'],
    tests: [
      'test/spill/*.test.ts',
      'test/queue/read-back.test.ts',
      'test/queue/merged-read-back.test.ts',
      'test/cli/spill-replay.test.ts',
      'test/cli/spill-retry.test.ts',
      'test/cli/spill-status.test.ts',
      // A dead writer's journal segment read by every reader (zeros at its end, zeros before
      // data and the rest set aside: spill-line-judge.ts, spill-reader.ts, journal-rest.ts).
      'test/journal/zero-tail.test.ts',
      'test/journal/power-cut-hole.test.ts',
    ],
  },
};

/** StrykerJS's own incremental file for an area: a scratch copy of the state, in reports/. */
const scratchFile = (area) => `reports/inc-${area}.json`;

/**
 * Arguments for `stryker run` for one area (its own incremental file; one worker on a shared
 * machine). `only`: some of the area's files, when the whole area would not fit a sitting.
 */
export function strykerArgs(area, extra = [], only = undefined) {
  const a = AREAS[area];
  return [
    'stryker', 'run',
    '--mutate', (only ?? a.mutate).join(','),
    '--testFiles', a.tests.join(','),
    '--incrementalFile', scratchFile(area),
    '--concurrency', '1',
    // These tests take seconds: a mutant that makes a loop endless then costs ~40 s, not minutes.
    '--timeoutMS', '10000',
    ...extra,
  ];
}

/**
 * How an area's tests run (docs/testing.md, "Where a mutant's time goes"), each overridable:
 * MUTATE_ISOLATE=0|1 — whether each test file gets a fresh worker (1), or the files share one
 * worker's modules (0: an area's `shareWorker`, checked for that area); MUTATE_TMPDIR — the
 * tests' TMPDIR (their LMDB stores, spill and journal dirs): /dev/shm for an area marked
 * `tmpfs` where the machine has it, else the machine's own (empty: the machine's own).
 */
export function runEnv(area, env = process.env) {
  const isolate = env.MUTATE_ISOLATE ?? (AREAS[area].shareWorker ? '0' : '1');
  const tmp = env.MUTATE_TMPDIR ?? (AREAS[area].tmpfs && existsSync(TMPFS) ? TMPFS : '');
  return { MUTATE_ISOLATE: isolate, ...(tmp ? { TMPDIR: tmp } : {}) };
}

/** A tmpfs for the tests' temp dirs: an LMDB commit's or a journal's fsync there costs nothing. */
const TMPFS = '/dev/shm';

function main(argv) {
  const extra = [];
  let areas = Object.keys(AREAS);
  let whole = false;
  let only;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--area') areas = argv[++i].split(',');
    else if (argv[i] === '--only') only = argv[++i].split(',');
    else if (argv[i].startsWith('--area=')) areas = argv[i].slice('--area='.length).split(',');
    else if (argv[i] === '--whole') whole = true;
    else if (argv[i] === '--list') {
      for (const [name, a] of Object.entries(AREAS)) console.log(`${name}\n  mutate: ${a.mutate.join(' ')}\n  tests:  ${a.tests.join(' ')}`);
      return 0;
    } else extra.push(argv[i]);
  }
  if (whole) return spawnSync('npx', ['stryker', 'run', ...extra], { stdio: 'inherit' }).status ?? 1;
  const unknown = areas.filter((a) => !(a in AREAS));
  if (unknown.length > 0) {
    console.error(`unknown area ${unknown.join(', ')}; the areas are ${Object.keys(AREAS).join(', ')}`);
    return 2;
  }
  let worst = 0;
  for (const area of areas) {
    console.log(`=== mutate ${area} (${new Date().toISOString()}): state ${stateFile(area)}, log reports/mutants-${area}.jsonl`);
    // StrykerJS reads its incremental file from reports/ and writes its full report there at the
    // end; the committed state is what it starts from, and the snapshot reporter keeps it current.
    mkdirSync('reports', { recursive: true });
    if (existsSync(stateFile(area))) copyFileSync(stateFile(area), scratchFile(area));
    else rmSync(scratchFile(area), { force: true });
    const r = spawnSync('npx', strykerArgs(area, extra, only), {
      stdio: 'inherit',
      env: {
        ...process.env,
        MUTANT_LOG: `reports/mutants-${area}.jsonl`,
        MUTATE_STATE: stateFile(area),
        MUTATE_AREA: area,
        // The dry run's per-test times (mutant-log-reporter.mjs): each test's limit in the mutant
        // runs (test/helpers/mutation-deadline.ts). Absolute: the tests run in StrykerJS's sandbox.
        MUTATE_DRY_RUN: resolve(`reports/mutants-${area}.jsonl.dry-run.json`),
        ...runEnv(area),
      },
    });
    // Ctrl-C (or a kill) stops every area, not just this one: the next run resumes it.
    if (r.signal) return 130;
    worst = Math.max(worst, r.status ?? 1);
  }
  return worst;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = main(process.argv.slice(2));
