// The fault-injection suite in its quick form: real child processes, real LMDB, real disks.
// The kill -9 rows were checked against their revert: the memory-mode rows are the same
// runs without the journal, and they lose acknowledged pairs in every run.
// The spill-dir rows (faults/spill-dir-faults.ts) were each checked against their revert:
// owner check skipped → spill-dir-owner loses all of A's pairs; stop deadline ignored →
// hung-sink-close reports hung; pair cap lifted or a plain rename → big-spill fails (file over
// the cap / planted file replaced); untrustedBecause skipped → hostile-spill-file applies 2 forged pairs.
import { afterAll, describe, expect, it } from 'vitest';
import { SCENARIOS, SIZES } from '../../faults/suite.js';
import { removeScratchDirs, runRow, type ScenarioResult } from '../../faults/scenario.js';

afterAll(removeScratchDirs);

describe('fault-injection suite (quick form of npm run faults)', () => {
  for (const scenario of SCENARIOS) {
    // The kill -9 scenarios start and restart child processes per run: minutes on a loaded machine.
    // The others too at load 15: 'exits' (eight children) took 60-91 s in three full runs, past 120 s in a fourth,
    // and past 240 s at load 20-27 (session 9). A hung child is killed by its own 120 s limit (faults/child.ts).
    it(scenario.name, { timeout: 600_000 }, async () => {
      // Its scratch dirs go when the row ends: also when it throws, or ends after this test timed out.
      const out = await runRow(() => scenario.run(SIZES.quick));
      for (const r of (Array.isArray(out) ? out : [out]) as ScenarioResult[]) {
        expect(r.duplicated, r.scenario).toBe(0);
        expect(r.orderViolations, r.scenario).toBe(0);
        if (r.scenario.endsWith('durability memory')) {
          // Memory mode may lose what was acknowledged: that is the measured difference.
          expect(r.enqueued, 'kill -9 runs acknowledged something').toBeGreaterThan(0);
        } else {
          expect(r.lost, r.scenario).toBe(0);
          expect(r.durable + (r.setAside ?? 0), r.scenario).toBe(r.enqueued);
        }
        expect(r.pass, `${r.scenario}: ${r.note ?? ''}`).toBe(true);
      }
    });
  }
});
