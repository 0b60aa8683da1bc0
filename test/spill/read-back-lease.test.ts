// The read-back lease: a round of read-back holds one claim on the spill directory instead
// of one per file, and still no file is worked by two claimants at once — a file claimed
// on its own is left to its claimant, and a single-file claimant gives way to the lease.
import { existsSync, mkdirSync, readdirSync, rmdirSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log.js';
import { ProvenanceWriteQueue } from '../../src/queue/provenance-write-queue.js';
import { replayClaimedFile } from '../../src/spill/replay.js';
import { claimOldestSpillFile, claimSpillFile } from '../../src/spill/spill-claims.js';
import type { IdentifiedPair } from '../../src/spill/spill-writer.js';
import { RecordingSink } from '../helpers/sinks.js';
import { writeQueueSpillFile } from '../helpers/spill-files.js';
import { tempDir } from '../helpers/temp.js';
import { until } from '../helpers/until.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const pending = (dir: string) => readdirSync(dir).filter((n) => n.endsWith('.jsonl'));

function startQueue(sink: RecordingSink, spillDir: string): ProvenanceWriteQueue {
  // A claim seen unchanged for a minute would be taken over as a dead holder's: not in these tests.
  const q = new ProvenanceWriteQueue(sink, { spillDir, logger: silentLogger, durability: 'memory', idlePollMs: 20, claimStaleMs: 60_000 });
  cleanups.push(() => q.stop({ timeoutMs: 2000 }));
  q.start();
  return q;
}

async function spillFiles(dir: string, files: number, pairsEach: number, prefix = 'f'): Promise<string[]> {
  const names: string[] = [];
  for (let f = 0; f < files; f++) names.push(await writeQueueSpillFile(dir, 'r1', Array.from({ length: pairsEach }, (_, i) => `${prefix}${f}-${i}`)));
  return names;
}

describe('the read-back lease', () => {
  // Checked against its revert (every file covered by the lease, its own claim ignored):
  // f1's pairs reach the sink while its claim is held, and the second expectation fails.
  it('leaves a file that has a live claim of its own to its claimant, reads back the rest, and takes the file once the claim is released', async () => {
    const dir = join(tempDir(), 'spill');
    const names = await spillFiles(dir, 3, 5);
    mkdirSync(join(dir, `${names[1]}.lock`)); // another process's single-file claim, fresh
    const sink = new RecordingSink();
    startQueue(sink, dir);
    expect(await until(() => pending(dir).length === 1, 30_000)).toBe(true);
    expect(pending(dir)).toEqual([names[1]]);
    expect(sink.cues().filter((c) => c.startsWith('f1-'))).toEqual([]);
    await new Promise((r) => setTimeout(r, 100)); // a few idle polls with the claim still held
    expect(sink.cues().filter((c) => c.startsWith('f1-'))).toEqual([]);
    // The claimant gives the file up (as a `provq spill replay` that found the lease would).
    rmdirSync(join(dir, `${names[1]}.lock`));
    expect(await until(() => pending(dir).length === 0, 30_000)).toBe(true);
    expect(sink.cues().sort()).toEqual(Array.from({ length: 3 }, (_, f) => Array.from({ length: 5 }, (_, i) => `f${f}-${i}`)).flat().sort());
  });

  // Checked against its revert (claimSpillFile without the lease check): the claim is
  // granted under a live lease and the first expectation fails.
  it('a single-file claimant gives the file up while a live process holds the lease, and claims it under a stale one', async () => {
    const dir = join(tempDir(), 'spill');
    const [name] = await spillFiles(dir, 1, 1);
    const lease = join(dir, 'read-back.lock');
    mkdirSync(lease); // held, refreshed just now
    expect(await claimSpillFile(dir, name!, { staleMs: 10_000, logger: silentLogger })).toBeNull();
    expect(existsSync(join(dir, `${name}.lock`))).toBe(false); // its own claim given back
    const old = new Date(Date.now() - 60_000);
    utimesSync(lease, old, old); // its holder stopped refreshing it a minute ago: gone
    const claim = await claimSpillFile(dir, name!, { staleMs: 10_000, logger: silentLogger });
    expect(claim?.name).toBe(name);
    await claim!.release();
  });

  // Checked against its revert (lockHeld judging the mtime by its age alone): the first claim
  // is null (the dead lease an hour "fresh" for as long as the step) and the first expectation
  // fails; this is what made `provq spill replay` exit 0 with "claimed by another process,
  // which applies it" while no process existed.
  it('after the clock stepped back, a dead holder\'s lease (mtime ahead of the clock) is given up once it is not refreshed, a live one is still respected', async () => {
    const dir = join(tempDir(), 'spill');
    const [name] = await spillFiles(dir, 1, 1);
    const lease = join(dir, 'read-back.lock');
    mkdirSync(lease);
    const ahead = (ms: number) => new Date(Date.now() + ms);
    utimesSync(lease, ahead(3_600_000), ahead(3_600_000)); // refreshed last an hour "ahead": then the clock stepped back
    const claim = await claimSpillFile(dir, name!, { staleMs: 2000, logger: silentLogger });
    expect(claim?.name).toBe(name);
    await claim!.release();
    // A live holder refreshes it (with the stepped-back clock, still ahead here): it keeps the file.
    let step = 0;
    const refresher = setInterval(() => utimesSync(lease, ahead(3_600_000 - ++step), ahead(3_600_000 - step)), 300);
    cleanups.push(() => clearInterval(refresher));
    expect(await claimSpillFile(dir, name!, { staleMs: 2000, logger: silentLogger })).toBeNull();
  });

  // Checked against its revert (claimSpillFile without the lease check): in 3 of 3 runs files
  // were applied by both, 20–180 pairs delivered twice.
  it('a queue reading back under the lease and a single-file claimant (provq spill replay) on one directory: every pair delivered once', async () => {
    const dir = join(tempDir(), 'spill');
    await spillFiles(dir, 300, 20);
    const sink = new RecordingSink();
    // The queue's calls are slow: files it has read stay in place (undeleted) while its
    // calls commit, which is when a claimant that ignored the lease would take them too.
    sink.delayMs = 30;
    const byClaimant: IdentifiedPair[] = [];
    // The claimant works first, as a replay started just before the queue would.
    const claimant = (async () => {
      const tried = new Set<string>();
      for (;;) {
        const claim = await claimOldestSpillFile(dir, { staleMs: 10_000, logger: silentLogger }, (n) => !tried.has(n));
        if (!claim) return;
        tried.add(claim.name);
        try {
          await replayClaimedFile(claim, {
            dir,
            chunkPairs: 7,
            logger: silentLogger,
            deliver: async (pairs) => {
              await new Promise((r) => setImmediate(r));
              byClaimant.push(...pairs);
              return { ok: true };
            },
          });
        } finally {
          await claim.release();
        }
      }
    })();
    startQueue(sink, dir);
    await claimant;
    expect(await until(() => pending(dir).length === 0, 30_000)).toBe(true);
    const cues = [...sink.cues(), ...byClaimant.map(([, e]) => e.cue)];
    expect(cues.length - new Set(cues).size).toBe(0); // nothing delivered twice
    expect(new Set(cues).size).toBe(300 * 20);
  });
});
