// After a power cut a dead writer's journal segment can hold its fsync'd lines, then a page
// of zeros, then more data: the kernel writes dirty pages back in no promised order, so a
// later page can reach the disk and an earlier one not. The lines before the first NUL byte
// are applied; the rest, from the line holding that NUL to the end, is set aside whole as a
// quarantined file that `provq spill retry --salvage` takes (its complete lines once each).
// Most segments here are crafted (a page of a written segment zeroed), read by a real queue on
// a real LMDB store and by the CLI; the last test makes one with a real power cut (ext4 on a
// loop device, a child writing through the journal, the image copied while a page is dirty). Every "checked against its revert" below means today's
// rule put back — the whole segment quarantined: LineJudge.restFrom giving the old bad line
// ("a NUL byte (file offset N) with more data after it; ...") instead of the rest.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, existsSync, fdatasyncSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatEntryId, reserveEntryIds } from '../../src/entry-id.js';
import { silentLogger } from '../../src/log.js';
import { LmdbMemoryStore } from '../../src/store/lmdb-memory-store.js';
import { JOURNAL_DIR_NAME } from '../../src/store/store-layout.js';
import { cuesOf, makeStore, provq } from '../cli/run-provq.js';
import { writeRawFile } from '../helpers/spill-files.js';
import { until } from '../helpers/until.js';
import { startChildScript } from '../../faults/child.js';
import { failingDisk, type Mounted } from '../helpers/failing-disk.js';

const PAGE = 4096;

/** The pid of a process that has ended. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '']).pid!;
}

const segmentName = (pid: number, seq = 1) => `${Date.now()}-${String(seq).padStart(6, '0')}-${pid}-journal.jsonl`;
const failedIn = (dir: string, name: string) => readdirSync(dir).filter((n) => n.startsWith(name.replace(/\.jsonl$/, '.failed-')) && n.endsWith('.jsonl'));

/** Journal lines as the writer makes them (each entryId once, on the line), about 300 bytes each. */
function journalLines(cues: string[]): Buffer[] {
  const ids = reserveEntryIds(cues.length);
  return cues.map((cue, i) => {
    const entry = { ts: new Date().toISOString(), cue, sessionId: 's', note: 'n'.repeat(200) };
    return Buffer.from(`${JSON.stringify({ recordId: 'r1', entryId: formatEntryId(ids.ms, ids.seq0 + i), entry })}\n`);
  });
}

/**
 * A mapped segment of `count` lines, allocated to 8 pages, as a power cut can leave it: page
 * `hole` never reached the disk (zeros), the pages after it did. `before`: the lines that end
 * before the hole (applied); `after`: the lines wholly after it (complete, but set aside);
 * `restFrom`: where the line straddling the hole's start begins.
 */
function holedSegment(count: number, hole: number) {
  const cues = Array.from({ length: count }, (_, i) => `c${i}`);
  const lines = journalLines(cues);
  const bytes = Buffer.alloc(8 * PAGE);
  Buffer.concat(lines).copy(bytes);
  bytes.fill(0, hole * PAGE, (hole + 1) * PAGE);
  const before: string[] = [];
  const after: string[] = [];
  let restFrom = -1;
  for (let i = 0, at = 0; i < count; at += lines[i]!.length, i++) {
    const end = at + lines[i]!.length;
    if (end <= hole * PAGE) before.push(cues[i]!);
    else if (at >= (hole + 1) * PAGE) after.push(cues[i]!);
    if (restFrom < 0 && end > hole * PAGE) restFrom = at;
  }
  expect(Buffer.concat(lines).length).toBeLessThan(bytes.length); // zeros at the end, as allocated
  return { bytes, before, after, restFrom };
}

/** A store whose journal dir holds `bytes` as the segment `name` of a writer that has died. */
async function storeWithDeadSegment(bytes: Buffer, name = segmentName(deadPid())) {
  const path = await makeStore(['r1']);
  const dir = join(path, JOURNAL_DIR_NAME);
  return { path, dir, name: writeRawFile(dir, name, bytes) };
}

/**
 * A queue on the store reads the journal back until it has set a rest aside and the segment
 * `name` is gone; its stats, events and the record's cues.
 */
async function readBackUntilSetAside(path: string, name: string) {
  const store = await LmdbMemoryStore.open({ path, logger: silentLogger });
  try {
    const queue = store.enableProvenanceQueue({ idlePollMs: 50 });
    const quarantined: { file: string; reason: string }[] = [];
    queue.on('quarantined', (e) => quarantined.push(e));
    const done = () => queue.stats().quarantinedFiles > 0 && !existsSync(join(path, JOURNAL_DIR_NAME, name));
    expect(await until(done, 60_000, 20)).toBe(true);
    return { stats: queue.stats(), quarantined, cues: (await store.get('r1'))!.provenance.map((e) => e.cue) };
  } finally {
    await store.close();
  }
}

describe('a dead writer’s journal segment with zeros before data (a power cut)', () => {
  // Checked against its revert (see the header): the segment is quarantined whole, no cue
  // applied (cues [], respooledPairs 0, the .failed- file the whole segment) and this fails.
  // And with merged read-back taking such a segment's lines like any file's (not sending it
  // alone: `&& !content.rest` dropped), its lines are applied and the segment deleted with
  // its rest never set aside — lost: the wait for the .failed- file times out.
  it('the queue applies the lines before the zeros and sets the rest aside, bytes and line numbers kept', { timeout: 90_000 }, async () => {
    const seg = holedSegment(60, 2);
    const { path, dir, name } = await storeWithDeadSegment(seg.bytes);
    const { stats, quarantined, cues } = await readBackUntilSetAside(path, name);
    expect(cues).toEqual(seg.before);
    expect(stats).toMatchObject({ respooledPairs: seg.before.length, quarantinedFiles: 1, tornJournalLines: 0 });
    const [failed, ...more] = failedIn(dir, name);
    expect(more).toEqual([]);
    // The rest exactly as it was, after an empty line for each line applied.
    expect(readFileSync(join(dir, failed!)).equals(Buffer.concat([Buffer.alloc(seg.before.length, 0x0a), seg.bytes.subarray(seg.restFrom)]))).toBe(true);
    const reason = JSON.parse(readFileSync(join(dir, `${failed}.reason.json`), 'utf8')) as { file: string; reason: string };
    expect(reason.file).toBe(name);
    expect(reason.reason).toContain(`a NUL byte at file offset ${2 * PAGE} (line ${seg.before.length + 1}) with data after it`);
    expect(reason.reason).toContain(`${seg.before.length} pairs before line ${seg.before.length + 1} applied`);
    expect(quarantined).toEqual([{ file: failed, reason: expect.stringContaining(`the rest of ${name} from line ${seg.before.length + 1} set aside`) }]);
  });

  // The set-aside rest is what salvage takes: its complete lines after the zeros go in once
  // each, the lines holding the zeros stay quarantined at their line numbers; the segment read
  // again (a crash between setting the rest aside and deleting it) and the second rest
  // salvaged too add nothing twice (entry ids). Checked against its revert: the whole
  // segment is set aside, so the first salvage applies the lines before the zeros too, and
  // the cues after the queue's read-back ([]) fail the first expectation.
  it('provq spill retry --salvage applies the rest’s complete lines once; reading the segment again doubles nothing', { timeout: 180_000 }, async () => {
    const seg = holedSegment(60, 2);
    const { path, dir, name } = await storeWithDeadSegment(seg.bytes);
    expect((await readBackUntilSetAside(path, name)).cues).toEqual(seg.before);
    const [failed] = failedIn(dir, name);

    const s = await provq('spill', 'retry', join(dir, failed!), '--salvage', '--store', path);
    expect(s.code, s.stderr).toBe(0);
    expect(s.stdout).toContain(`salvaged ${seg.after.length} valid lines`);
    // Still bad: one line from the piece before the hole through its zeros to the end of the
    // line its end cut (no newline between), and the allocation's zeros at the end.
    expect(s.stdout).toContain('2 bad lines');
    expect(await cuesOf(path, 'r1')).toEqual([...seg.before, ...seg.after]);
    const left = readFileSync(join(dir, failed!));
    expect(left.subarray(0, seg.before.length).equals(Buffer.alloc(seg.before.length, 0x0a))).toBe(true);
    expect(left.includes(seg.bytes.subarray(seg.restFrom, 2 * PAGE))).toBe(true);
    expect(readdirSync(dir).filter((n) => n.endsWith('.jsonl') && !n.includes('.failed-'))).toEqual([]);

    // The segment back as the crash left it: read again, nothing doubled, a second rest set aside.
    writeRawFile(dir, name, seg.bytes);
    const r = await provq('spill', 'replay', '--store', path);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${seg.before.length} pairs were already in the store (replayed before), kept once`);
    expect(r.stderr).toMatch(new RegExp(`set aside the rest of ${name} from line ${seg.before.length + 1} as ${name.replace(/\.jsonl$/, '')}\\.failed-\\d+\\.jsonl`));
    const second = failedIn(dir, name).filter((n) => n !== failed);
    expect(second).toHaveLength(1);
    const again = await provq('spill', 'retry', join(dir, second[0]!), '--salvage', '--store', path);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain(`${seg.after.length} pairs were already in the store`);
    expect(await cuesOf(path, 'r1')).toEqual([...seg.before, ...seg.after]);
  });

  // Without --store the salvaged lines wait in the journal dir under a segment name no writer
  // holds, and the next queue on the store reads them back. Checked against its revert of
  // the salvage naming (SpillWriter's tag not given: a plain spill name in the journal dir):
  // no queue reads that file, the wait for the cues times out and this fails.
  it('salvaged without --store, the lines wait in the journal dir for the next queue', { timeout: 120_000 }, async () => {
    const seg = holedSegment(60, 3);
    const { path, dir, name } = await storeWithDeadSegment(seg.bytes);
    expect((await readBackUntilSetAside(path, name)).cues).toEqual(seg.before);
    const [failed] = failedIn(dir, name);
    const s = await provq('spill', 'retry', join(dir, failed!), '--salvage');
    expect(s.code, s.stderr).toBe(0);
    const store = await LmdbMemoryStore.open({ path, logger: silentLogger });
    try {
      store.enableProvenanceQueue({ idlePollMs: 50 });
      const want = [...seg.before, ...seg.after];
      const cues = async () => (await store.get('r1'))!.provenance.map((e) => e.cue);
      const end = performance.now() + 60_000;
      while ((await cues()).length < want.length && performance.now() < end) await new Promise((r) => setTimeout(r, 50));
      expect(await cues()).toEqual(want);
      expect(s.stdout).toMatch(/ into \d{13}-\d{6}-\d+-salvaged-journal\.jsonl;/);
    } finally {
      await store.close();
    }
  });

  // A rest that is only zeros and a torn piece after them (a page written back holding the
  // start of a line whose end was never written): set aside all the same, nothing in it to
  // salvage; the lines before the zeros applied. Checked against its revert: the whole
  // segment quarantined, cues [] and this fails.
  it('a rest of only zeros and one torn piece: set aside, salvage finds no line in it, the lines before applied', { timeout: 120_000 }, async () => {
    const head = Buffer.concat(journalLines(['a', 'b']));
    const piece = Buffer.from('{"recordId":"r1","entryId":"0');
    const { path, dir, name } = await storeWithDeadSegment(Buffer.concat([head, Buffer.alloc(PAGE), piece]));
    const { stats, cues } = await readBackUntilSetAside(path, name);
    expect(cues).toEqual(['a', 'b']);
    expect(stats).toMatchObject({ quarantinedFiles: 1, tornJournalLines: 0 });
    const [failed] = failedIn(dir, name);
    const rest = Buffer.concat([Buffer.from('\n\n'), Buffer.alloc(PAGE), piece]);
    expect(readFileSync(join(dir, failed!)).equals(rest)).toBe(true);
    const s = await provq('spill', 'retry', join(dir, failed!), '--salvage', '--store', path);
    expect(s.code, s.stderr).toBe(0);
    expect(s.stdout).toContain('salvaged 0 valid lines; 1 bad line');
    expect(s.stderr).toContain(`the bad lines stay quarantined in ${failed}`);
    // Kept, at its line number (salvage ends each bad line it keeps with a newline).
    expect(readFileSync(join(dir, failed!)).equals(Buffer.concat([rest, Buffer.from('\n')]))).toBe(true);
    expect(await cuesOf(path, 'r1')).toEqual(['a', 'b']);
  });
});

describe('provq spill replay and status on a segment with zeros before data', () => {
  // Checked against its revert: replay quarantines the dead segment whole ("quarantined ... as"),
  // applies no cue, and this fails. The live writer's segment is never read either way.
  it('replay applies the lines before the zeros and says where the rest went; a live writer’s segment is left as it is; status lists the rest with its reason', { timeout: 120_000 }, async () => {
    const path = await makeStore(['r1']);
    const dir = join(path, JOURNAL_DIR_NAME);
    const dead = holedSegment(60, 2);
    const live = holedSegment(60, 1);
    const deadName = writeRawFile(dir, segmentName(deadPid(), 1), dead.bytes);
    // From provq's side this test process is a live writer: its segment is not provq's to read.
    const liveName = writeRawFile(dir, segmentName(process.pid, 2), live.bytes);

    const r = await provq('spill', 'replay', '--store', path);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toContain(`replayed 1 file, ${dead.before.length} pairs`);
    const [failed, ...more] = failedIn(dir, deadName);
    expect(more).toEqual([]);
    expect(r.stderr).toContain(`set aside the rest of ${deadName} from line ${dead.before.length + 1} as ${failed}: a NUL byte at file offset ${2 * PAGE}`);
    expect(r.stderr).toContain(`is claimed by another process, which applies it: ${liveName}`);
    expect(await cuesOf(path, 'r1')).toEqual(dead.before);
    expect(readFileSync(join(dir, liveName)).equals(live.bytes)).toBe(true);
    expect(failedIn(dir, liveName)).toEqual([]);

    const j = JSON.parse((await provq('spill', 'status', '--store', path, '--json')).stdout).journal;
    expect(j.quarantined).toEqual([{ file: failed, reason: expect.stringContaining(`${dead.before.length} pairs before line ${dead.before.length + 1} applied`) }]);
    expect(j.segments.map((s: { file: string; writerAlive: boolean }) => [s.file, s.writerAlive])).toEqual([[liveName, true]]);
    const text = (await provq('spill', 'status', '--store', path)).stdout;
    expect(text).toMatch(/^ {2}quarantined {2}1 file$/m);
    expect(text).toContain(`    ${failed}: a NUL byte at file offset ${2 * PAGE}`);
    expect(text).toContain('provq spill retry <file> --salvage --store PATH');
  });
});

describe('several processes on the store: the rest set aside once, by the segment’s claimant', () => {
  // Another process (a queue reading the segment back, say) holds the dead writer's segment's
  // claim: replay leaves it whole — nothing applied, no rest set aside — and once that
  // process is gone takes it: the rest set aside once. Checked against its revert (replay
  // reading a dead writer's segment without its claim: claimDeadWritersSegment's null taken
  // for a claim): the first replay applies the lines and sets the rest aside under the
  // holder's claim, and this fails.
  it('replay leaves a segment another process holds; after it dies, one rest set aside', { timeout: 120_000 }, async () => {
    const seg = holedSegment(60, 2);
    const { path, dir, name } = await storeWithDeadSegment(seg.bytes);
    // The claim as a reader takes a dead writer's segment's (DEAD_WRITER_STALE_MS), refreshed while it lives.
    const holder = spawn(process.execPath, ['--import', 'tsx', HOLDER, dir, name, '2000'], { cwd: join(import.meta.dirname, '../..'), stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = once(holder, 'exit');
    try {
      const [first] = (await once(holder.stdout, 'data')) as [Buffer];
      expect(first.toString()).toBe('held\n');
      const r = await provq('spill', 'replay', '--store', path);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain(`is claimed by another process, which applies it: ${name}`);
      expect(readFileSync(join(dir, name)).equals(seg.bytes)).toBe(true);
      expect(failedIn(dir, name)).toEqual([]);
      expect(await cuesOf(path, 'r1')).toEqual([]);
    } finally {
      holder.kill('SIGKILL');
      await exited;
    }
    const r = await provq('spill', 'replay', '--store', path);
    expect(r.code).toBe(1);
    expect(failedIn(dir, name)).toHaveLength(1);
    expect(await cuesOf(path, 'r1')).toEqual(seg.before);
  });
});

const CHILD = join(import.meta.dirname, 'power-cut-child.ts');
const HOLDER = join(import.meta.dirname, '../spill/claim-holder-child.ts');

/** Writes back only [from, from + bytes) of the file and waits for it (sync_file_range; Node has no binding). */
function syncFileRange(path: string, from: number, bytes: number): void {
  const py = [
    'import ctypes, os, sys',
    'f = ctypes.CDLL(None, use_errno=True).sync_file_range',
    'f.argtypes = [ctypes.c_int, ctypes.c_longlong, ctypes.c_longlong, ctypes.c_uint]',
    'fd = os.open(sys.argv[1], os.O_RDWR)',
    // SYNC_FILE_RANGE_WAIT_BEFORE | WRITE | WAIT_AFTER
    'sys.exit(0 if f(fd, int(sys.argv[2]), int(sys.argv[3]), 7) == 0 else ctypes.get_errno())',
  ].join('\n');
  const r = spawnSync('python3', ['-c', py, path, String(from), String(bytes)], { encoding: 'utf8' });
  expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
}

describe('a real power cut (ext4 on a loop device)', () => {
  // A child journals 40 pairs (a); the test fdatasyncs the segment (as the journal's fsync
  // would); the child journals 40 more (b); the test writes back only the last page holding
  // b's lines, and copies the disk while the pages before it are still dirty: the copy holds
  // a's lines, zeros, then that page. Read back from the copy, every fsync'd pair is applied
  // and the rest set aside; salvage adds the b lines wholly in that page, once each. Both
  // journal modes: mapped (allocated whole: zeros after the data too) and write(2).
  // Checked against its revert (see the header): the copy's segment is quarantined whole,
  // no a cue applied, and this fails (both modes).
  it.each([
    { mode: 'mapped', env: {} as Record<string, string> },
    { mode: 'write(2)', env: { PROVQ_JOURNAL_MAP: 'off' } as Record<string, string> },
  ])('$mode journal: the fsync\'d lines applied, the page written back after the hole set aside with the rest', { timeout: 120_000 }, async ({ env }) => {
    const disk = failingDisk();
    let cut: Mounted | undefined;
    const child = startChildScript(CHILD, { spillDir: join(disk.dir, 'spill'), journalDir: join(disk.dir, 'journal'), a: 40, b: 40 }, { env });
    try {
      const name = (await child.waitForLine(/^a /)).slice(2);
      const live = join(disk.dir, 'journal', name);
      const fd = openSync(live, 'r');
      fdatasyncSync(fd);
      closeSync(fd);
      const dataEnd = (bytes: Buffer) => (bytes.indexOf(0) === -1 ? bytes.length : bytes.indexOf(0));
      const endA = dataEnd(readFileSync(live));
      child.kill('SIGUSR2');
      await child.waitForLine(/^b$/);
      const written = readFileSync(live);
      const endB = dataEnd(written);
      const last = Math.floor((endB - 1) / PAGE) * PAGE;
      expect(last).toBeGreaterThan(Math.floor(endA / PAGE) * PAGE + PAGE); // a whole page of b's between
      syncFileRange(live, last, PAGE);
      // The power cut: the disk as it is, once the page's metadata is committed (ext4 commits
      // its journal every 5 s): copies are taken until one holds that page.
      const image = async () => {
        for (const end = performance.now() + 60_000; performance.now() < end; await new Promise((r) => setTimeout(r, 500))) {
          cut?.unmount();
          cut = disk.powerCut();
          const seg = join(cut.dir, 'journal', name);
          const bytes = existsSync(seg) ? readFileSync(seg) : Buffer.alloc(0);
          if (bytes.length >= endB && bytes.subarray(last, endB).equals(written.subarray(last, endB))) return bytes;
        }
        throw new Error('the page written back never reached the copy');
      };
      const bytes = await image();
      child.kill('SIGKILL');
      await child.done;
      // What the cut left: a's lines, zeros up to the page written back, then that page.
      expect(bytes.subarray(0, endA).equals(written.subarray(0, endA))).toBe(true);
      expect(bytes.subarray(endA, last).every((b) => b === 0)).toBe(true);
      const aCues = Array.from({ length: 40 }, (_, i) => `a${i}`);
      const bLines = written.subarray(0, endB).toString('utf8').split('\n').filter(Boolean);
      const bCuesAfter: string[] = [];
      for (let i = 0, at = 0; i < bLines.length; at += Buffer.byteLength(bLines[i]!) + 1, i++) {
        if (at >= last) bCuesAfter.push((JSON.parse(bLines[i]!) as { entry: { cue: string } }).entry.cue);
      }
      expect(bCuesAfter.length).toBeGreaterThan(0);

      // Read back from the copy's segment, in a store of its own (the copy is mounted read-only).
      const { path, dir } = await storeWithDeadSegment(bytes, name);
      const { stats, cues } = await readBackUntilSetAside(path, name);
      expect(cues).toEqual(aCues);
      expect(stats).toMatchObject({ respooledPairs: 40, quarantinedFiles: 1, tornJournalLines: 0 });
      const [failed] = failedIn(dir, name);
      expect(readFileSync(join(dir, failed!)).equals(Buffer.concat([Buffer.alloc(40, 0x0a), bytes.subarray(endA)]))).toBe(true);
      const s = await provq('spill', 'retry', join(dir, failed!), '--salvage', '--store', path);
      expect(s.code, s.stderr).toBe(0);
      expect(await cuesOf(path, 'r1')).toEqual([...aCues, ...bCuesAfter]);
    } finally {
      child.kill('SIGKILL');
      await child.done;
      cut?.unmount();
      disk.unmount();
    }
  });
});
