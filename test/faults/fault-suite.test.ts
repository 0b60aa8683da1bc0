// The fault-injection suite in its quick form: real child processes, real LMDB, real disks.
import { afterAll, describe, expect, it } from 'vitest';
import { SCENARIOS, SIZES } from '../../faults/suite.js';
import { removeScratchDirs, type ScenarioResult } from '../../faults/scenario.js';

afterAll(removeScratchDirs);

describe('fault-injection suite (quick form of npm run faults)', () => {
  for (const scenario of SCENARIOS) {
    it(scenario.name, { timeout: 120_000 }, async () => {
      const out = await scenario.run(SIZES.quick);
      for (const r of (Array.isArray(out) ? out : [out]) as ScenarioResult[]) {
        expect(r.duplicated, r.scenario).toBe(0);
        expect(r.orderViolations, r.scenario).toBe(0);
        if (r.scenario.startsWith('kill -9')) {
          expect(r.enqueued, 'kill -9 runs enqueued something').toBeGreaterThan(0);
        } else {
          expect(r.lost, r.scenario).toBe(0);
          expect(r.durable + (r.setAside ?? 0), r.scenario).toBe(r.enqueued);
        }
        expect(r.pass, `${r.scenario}: ${r.note ?? ''}`).toBe(true);
      }
    });
  }
});
