// lmdb-js alone, without this library: three processes open one new LMDB environment at
// about the same time and put batches into it (4 awaited batches in flight each, our store's
// options). Every put whose promise resolved is then looked up. lmdb-js 3.5.6 loses a whole
// committed transaction now and then, and two processes are seen committing the same
// transaction id: an open that overlaps another process's commit resets the shared last
// transaction id to the one it read (mdb_env_open2, `env->me_txns->mti_txnid =
// meta.mm_txnid`, which upstream LMDB does only for MDB_PREVSNAPSHOT), so the next writer
// builds on the older snapshot and overwrites that commit. See docs/guarantees.md, "The open
// race": scripts/lmdb-open-race-fix.mjs rebuilds lmdb at install with upstream's guard; run this
// after `node scripts/lmdb-open-race-fix.mjs --without-guard` to see the race again.
//
//   npx tsx faults/lmdb-open-race.ts [runs]      (prints one line per run, exit 1 on a loss)
import { spawn } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { open, type RootDatabase } from 'lmdb';

const PUTS_EACH = 3000;
const IN_FLIGHT = 4;

function openEnv(dir: string): RootDatabase {
  return open({ path: join(dir, 'store.mdb'), overlappingSync: false, batchStartThreshold: 2 ** 31 - 1, mapSize: 64 * 2 ** 30, maxDbs: 4 } as Parameters<typeof open>[0]);
}

const keyOf = (name: string, i: number): [string, string] => [`r${i % 10}`, `${name}-${String(i).padStart(9, '0')}`];

/** One writer: batches of 100–159 puts, each acknowledged in `ack-<name>` once its promise resolved; commits' ids in `txn-<name>`. */
async function writer(dir: string, name: string): Promise<void> {
  const env = openEnv(dir);
  const db = env.openDB<unknown, [string, string]>('provenance', {});
  const ack = openSync(join(dir, `ack-${name}`), 'a');
  const txns = openSync(join(dir, `txn-${name}`), 'a');
  db.on('aftercommit', ({ txnId }: { txnId?: number }) => txnId && writeSync(txns, `${txnId}\n`));
  let next = 0;
  let inFlight = 0;
  const batch = async (): Promise<void> => {
    const first = next;
    const n = 100 + Math.floor(Math.random() * 60);
    next += n;
    const commits = new Set<Promise<boolean>>();
    for (let i = first; i < first + n; i++) commits.add(db.put(keyOf(name, i), { n: i, pad: 'y'.repeat(100) }));
    await Promise.all(commits);
    writeSync(ack, `${first} ${n}\n`);
  };
  while (next < PUTS_EACH) {
    while (inFlight < IN_FLIGHT && next < PUTS_EACH) {
      inFlight++;
      void batch().finally(() => inFlight--);
    }
    await new Promise((r) => setImmediate(r));
  }
  while (inFlight > 0) await new Promise((r) => setTimeout(r, 1));
  await env.close();
}

function lines(path: string): string[] {
  try {
    return readFileSync(path, 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

async function oneRun(run: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'provq-lmdb-race-'));
  try {
    const names = ['a', 'b', 'c'];
    const self = fileURLToPath(import.meta.url);
    await Promise.all(
      names.map(
        (name) =>
          new Promise<void>((resolve, reject) => {
            const child = spawn(process.execPath, [...process.execArgv, self, '--writer', dir, name], { stdio: 'inherit' });
            child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`writer ${name} exited ${code}`))));
          }),
      ),
    );
    const env = openEnv(dir);
    const db = env.openDB<unknown, [string, string]>('provenance', {});
    const lost: string[] = [];
    let lostPuts = 0;
    for (const name of names) {
      for (const line of lines(join(dir, `ack-${name}`))) {
        const [first, n] = line.split(' ').map(Number) as [number, number];
        let missing = 0;
        for (let i = first; i < first + n; i++) if (db.get(keyOf(name, i)) === undefined) missing++;
        if (missing > 0) lost.push(`${name}'s batch at ${first}: ${missing} of ${n} puts gone`);
        lostPuts += missing;
      }
    }
    await env.close();
    const committedBy = new Map<string, string>();
    const twice: string[] = [];
    for (const name of names) {
      for (const id of lines(join(dir, `txn-${name}`))) {
        const other = committedBy.get(id);
        if (other) twice.push(`txn ${id} by ${other} and ${name}`);
        committedBy.set(id, name);
      }
    }
    console.log(`run ${run}: ${lostPuts === 0 ? 'every resolved put is there' : `LOST ${lostPuts} resolved puts (${lost.join('; ')})`}${twice.length ? `; the same transaction id committed twice: ${twice.join(', ')}` : ''}`);
    return lostPuts;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const argv = process.argv.slice(2);
if (argv[0] === '--writer') {
  await writer(argv[1]!, argv[2]!);
} else {
  const runs = Number(argv[0] ?? 100);
  let lost = 0;
  let runsLosing = 0;
  for (let run = 0; run < runs; run++) {
    const n = await oneRun(run);
    lost += n;
    if (n > 0) runsLosing++;
  }
  console.log(`${runs} runs: ${runsLosing} lost resolved puts (${lost} in all)`);
  process.exitCode = lost > 0 ? 1 : 0;
}
