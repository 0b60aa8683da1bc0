// The fault-injection suite: every scenario, at full size or in its quick form (for npm test).
import { diskFailureScenario } from './disk-faults.js';
import { exitScenarios } from './exits.js';
import { fuzzScenario } from './fuzz.js';
import { badInputScenarios, clockScenarios } from './ids-and-clock.js';
import { kill9Scenario } from './kill9.js';
import type { ScenarioResult } from './scenario.js';
import { sharedDirScenario } from './shared-dir.js';
import { flakySinkScenario, refusedPairsScenario, sinkDownScenario } from './sink-faults.js';

export const SIZES = {
  full: { kill9Runs: 100, flakyPairs: 20_000, downPairs: 20_000, downMs: 10_000, diskPairs: 3000, diskBrokenMs: 3000, sharedPairs: 3000, fuzzRuns: 1000, fuzzFiles: 40, idsPairs: 5000 },
  quick: { kill9Runs: 6, flakyPairs: 2000, downPairs: 2000, downMs: 2000, diskPairs: 600, diskBrokenMs: 1500, sharedPairs: 600, fuzzRuns: 200, fuzzFiles: 8, idsPairs: 500 },
};

export type Scenario = { name: string; run(size: (typeof SIZES)['full']): Promise<ScenarioResult | ScenarioResult[]> };

export const SCENARIOS: Scenario[] = [
  { name: 'exits', run: () => exitScenarios() },
  { name: 'kill9', run: (s) => kill9Scenario(s.kill9Runs) },
  { name: 'flaky-sink', run: (s) => flakySinkScenario(s.flakyPairs) },
  { name: 'sink-down', run: (s) => sinkDownScenario(s.downPairs, s.downMs) },
  { name: 'refused-pairs', run: (s) => refusedPairsScenario(s.flakyPairs) },
  { name: 'disk-failure', run: (s) => diskFailureScenario(s.diskPairs, s.diskBrokenMs) },
  { name: 'shared-dir', run: (s) => sharedDirScenario(s.sharedPairs) },
  { name: 'fuzz', run: (s) => fuzzScenario(s.fuzzRuns, s.fuzzFiles) },
  { name: 'bad-input', run: (s) => badInputScenarios(s.idsPairs) },
  { name: 'clock-steps', run: (s) => clockScenarios(s.idsPairs) },
];
