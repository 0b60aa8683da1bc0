// The fault-injection suite: every scenario, at full size or in its quick form (for npm test).
import { exitStderrOnlyScenario, storeDiskFullScenario } from './store-disk.js';
import { diskFailureScenario } from './disk-faults.js';
import { exitScenarios } from './exits.js';
import { fuzzScenario } from './fuzz.js';
import { badInputScenarios, clockScenarios } from './ids-and-clock.js';
import { kill9Scenarios } from './kill9.js';
import { pgHostsScenario } from './pg-hosts.js';
import type { ScenarioResult } from './scenario.js';
import { sharedDirKill9Scenario, sharedDirScenario } from './shared-dir.js';
import { bigSpillScenario, hostileSpillFileScenario, hungSinkCloseScenario, twoStoresOneSpillDirScenario } from './spill-dir-faults.js';
import { failOneInThreeScenarios, flakySinkScenario, refusedPairsScenario, sinkDownScenario } from './sink-faults.js';

export const SIZES = {
  full: { kill9Runs: 100, flakyPairs: 20_000, downPairs: 20_000, downMs: 10_000, diskPairs: 3000, diskBrokenMs: 3000, sharedPairs: 3000, sharedKill9Runs: 20, sharedKill9Recalls: 3000, fuzzRuns: 1000, fuzzFiles: 40, idsPairs: 5000, pgRunMs: 20_000, pgDownMs: 5000, storeDiskPairs: 4000, stderrPairs: 20_000, ownerPairs: 5000, hungPairs: 20_000, bigPairs: 20_000, bigPadBytes: 4096, hostilePairs: 5000 },
  quick: { kill9Runs: 1, flakyPairs: 2000, downPairs: 2000, downMs: 2000, diskPairs: 600, diskBrokenMs: 1500, sharedPairs: 600, sharedKill9Runs: 1, sharedKill9Recalls: 1000, fuzzRuns: 200, fuzzFiles: 8, idsPairs: 500, pgRunMs: 4000, pgDownMs: 1000, storeDiskPairs: 2000, stderrPairs: 5000, ownerPairs: 1500, hungPairs: 2000, bigPairs: 17_000, bigPadBytes: 64, hostilePairs: 1000 },
};

export type Scenario = { name: string; run(size: (typeof SIZES)['full']): Promise<ScenarioResult | ScenarioResult[]> };

export const SCENARIOS: Scenario[] = [
  { name: 'exits', run: () => exitScenarios() },
  { name: 'kill9', run: (s) => kill9Scenarios(s.kill9Runs) },
  { name: 'flaky-sink', run: (s) => flakySinkScenario(s.flakyPairs) },
  { name: 'one-in-three', run: (s) => failOneInThreeScenarios(s.flakyPairs) },
  { name: 'sink-down', run: (s) => sinkDownScenario(s.downPairs, s.downMs) },
  { name: 'refused-pairs', run: (s) => refusedPairsScenario(s.flakyPairs) },
  { name: 'disk-failure', run: (s) => diskFailureScenario(s.diskPairs, s.diskBrokenMs) },
  { name: 'shared-dir', run: (s) => sharedDirScenario(s.sharedPairs) },
  { name: 'shared-kill9', run: (s) => sharedDirKill9Scenario(s.sharedKill9Runs, s.sharedKill9Recalls) },
  { name: 'fuzz', run: (s) => fuzzScenario(s.fuzzRuns, s.fuzzFiles) },
  { name: 'bad-input', run: (s) => badInputScenarios(s.idsPairs) },
  { name: 'clock-steps', run: (s) => clockScenarios(s.idsPairs) },
  { name: 'postgres-hosts', run: (s) => pgHostsScenario(s.pgRunMs, s.pgDownMs) },
  { name: 'store-disk-full', run: (s) => storeDiskFullScenario(s.storeDiskPairs) },
  { name: 'exit-stderr-only', run: (s) => exitStderrOnlyScenario(s.stderrPairs) },
  { name: 'spill-dir-owner', run: (s) => twoStoresOneSpillDirScenario(s.ownerPairs) },
  { name: 'hung-sink-close', run: (s) => hungSinkCloseScenario(s.hungPairs) },
  { name: 'big-spill', run: (s) => bigSpillScenario(s.bigPairs, s.bigPadBytes) },
  { name: 'hostile-spill-file', run: (s) => hostileSpillFileScenario(s.hostilePairs) },
];
