// Fuzzed spill files (fast-check): any content is either imported exactly or quarantined
// whole — never a crash, never a partial apply. In-process against the parser, and a
// sample end to end through a real queue and LMDB store.
import { readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { silentLogger } from '../src/log.js';
import { parseSpillText } from '../src/spill/spill-reader.js';
import { LmdbMemoryStore } from '../src/store/lmdb-memory-store.js';
import { RECORDS, scratchDir, type ScenarioResult } from './scenario.js';

type Line = { text: string; good: boolean; recordId?: string; cue?: string };

const goodLine = (tag: string) =>
  fc.record({ r: fc.integer({ min: 0, max: RECORDS - 1 }), n: fc.nat(), withId: fc.boolean(), extra: fc.jsonValue({ maxDepth: 2 }) }).map(
    ({ r, n, withId, extra }): Line => {
      const cue = `${tag}-${n}`;
      const entry = { ts: '2026-01-31T12:00:00.000Z', cue, sessionId: 'fuzz', extra };
      const obj = withId ? { recordId: `r${r}`, entryId: `${String(1767225600000 + n).padStart(13, '0')}-file:fuzz-${tag}-${Math.random()}:${String(n % 1e9).padStart(9, '0')}`, entry } : { recordId: `r${r}`, entry };
      // fast-check's jsonValue makes "__proto__" keys now and then: entries refuse them
      // (validate.ts), so such a line is a bad one, and its file must be quarantined whole.
      return { text: JSON.stringify(obj), good: !hasProtoKey(extra), recordId: `r${r}`, cue };
    },
  );

function hasProtoKey(v: unknown): boolean {
  if (Array.isArray(v)) return v.some(hasProtoKey);
  if (v === null || typeof v !== 'object') return false;
  return Object.keys(v).some((k) => k === '__proto__' || hasProtoKey((v as Record<string, unknown>)[k]));
}

const badLine = fc.oneof(
  fc.string().map((s): Line => ({ text: `~${s.replace(/\n/g, '')}`, good: false })), // never JSON
  fc.record({ cut: fc.integer({ min: 1, max: 40 }) }).map(({ cut }): Line => ({ text: '{"recordId":"r1","entry":{"ts":"2026-01-31T12:00:00.000Z","cue":"x"'.slice(0, cut), good: false })),
  fc.constantFrom<Line>(
    { text: '{"recordId":5,"entry":{"ts":"2026-01-31T12:00:00.000Z","cue":"x","sessionId":"s"}}', good: false },
    { text: '{"recordId":"r1","entry":{"cue":"x","sessionId":"s"}}', good: false },
    { text: '{"recordId":"","entry":{"ts":"2026-01-31T12:00:00.000Z","cue":"x","sessionId":"s"}}', good: false },
    { text: '[]', good: false },
    { text: 'null', good: false },
  ),
);

const fileOf = (tag: string) => fc.array(fc.oneof({ weight: 4, arbitrary: goodLine(tag) }, { weight: 1, arbitrary: badLine }), { maxLength: 30 });

/** Checks one parse against what the lines say it must be. Returns a problem, or null. */
function checkParse(lines: Line[], trailingNewline: boolean): string | null {
  const bytes = Buffer.from(lines.map((l) => l.text).join('\n') + (trailingNewline ? '\n' : ''));
  const got = parseSpillText(bytes, 'fuzz.jsonl');
  const good = lines.filter((l) => l.good);
  if (lines.some((l) => !l.good)) return got.kind === 'malformed' ? null : `bad line accepted: ${got.kind}`;
  if (good.length === 0) return got.kind === 'empty' ? null : `empty file read as ${got.kind}`;
  if (got.kind !== 'pairs') return `valid file read as ${got.kind}: ${'reason' in got ? got.reason : ''}`;
  const want = good.map((l) => `${l.recordId}|${l.cue}`).join(',');
  const have = got.pairs.map(([r, e]) => `${r}|${e.cue}`).join(',');
  if (want !== have) return 'pairs differ from the lines';
  return new Set(got.pairs.map(([, e]) => e.entryId)).size === got.pairs.length || good.some((l) => l.text.includes('"entryId"')) ? null : 'derived entryIds collide';
}

export async function fuzzScenario(runs: number, endToEndFiles: number): Promise<ScenarioResult> {
  let problems = 0;
  let firstProblem = '';
  fc.assert(
    fc.property(fileOf('p'), fc.boolean(), (lines, nl) => {
      const p = checkParse(lines, nl);
      if (p) {
        problems++;
        firstProblem ||= p;
      }
      return true;
    }),
    { numRuns: runs },
  );
  // Arbitrary bytes: any verdict, but never a throw, and pairs only if every one is valid.
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
      const got = parseSpillText(bytes, 'bytes.jsonl');
      return got.kind !== 'pairs' || got.pairs.every(([r, e]) => typeof r === 'string' && typeof e.cue === 'string');
    }),
    { numRuns: runs },
  );
  const e2e = await endToEnd(endToEndFiles);
  const lost = e2e.lost;
  const duplicated = e2e.partial + e2e.duplicated;
  return {
    scenario: 'fuzzed spill files (fast-check)',
    runs: runs * 2 + endToEndFiles,
    enqueued: e2e.expected,
    durable: e2e.applied,
    lost,
    duplicated,
    orderViolations: 0,
    expectation: 'imported exactly or quarantined whole',
    pass: problems === 0 && lost === 0 && duplicated === 0,
    note: `${problems} parser mismatches${firstProblem ? ` (${firstProblem})` : ''}; end to end: ${e2e.files} files, ${e2e.quarantined} quarantined whole, ${e2e.partial} partial applies`,
  };
}

async function endToEnd(files: number) {
  const path = scratchDir('fuzz');
  const spillDir = join(path, 'provenance-overflow');
  mkdirSync(spillDir, { recursive: true, mode: 0o700 });
  const samples = fc.sample(fc.tuple(fileOf('x'), fc.boolean()), files);
  // Every good line gets a cue of its own (file k, line i), so each can be counted once.
  const plans = samples.map(([lines], k) =>
    lines.map((l, i) => (l.good ? { ...l, cue: `f${k}-l${i}`, text: l.text.replace(`"cue":"${l.cue}"`, `"cue":"f${k}-l${i}"`) } : l)),
  );
  plans.forEach((lines, k) => writeFileSync(join(spillDir, `fuzz-${String(k).padStart(4, '0')}.jsonl`), lines.map((l) => l.text).join('\n') + (samples[k]![1] ? '\n' : ''), { mode: 0o600 }));
  const store = await LmdbMemoryStore.open({ path, logger: silentLogger });
  for (let r = 0; r < RECORDS; r++) await store.insert({ id: `r${r}`, text: `record ${r}` });
  const queue = store.enableProvenanceQueue({ idlePollMs: 50, logger: silentLogger });
  const deadline = Date.now() + 60_000;
  while (readdirSync(spillDir).some((n) => n.endsWith('.jsonl') && !/\.failed-\d+\.jsonl$/.test(n)) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
  }
  await queue.flush(10_000);
  const counts = new Map<string, number>();
  for (let r = 0; r < RECORDS; r++) for (const e of (await store.get(`r${r}`))!.provenance) counts.set(e.cue, (counts.get(e.cue) ?? 0) + 1);
  await store.close();
  const quarantinedNames = new Set(readdirSync(spillDir).filter((n) => /\.failed-\d+\.jsonl$/.test(n)).map((n) => n.replace(/\.failed-\d+\.jsonl$/, '')));
  let expected = 0;
  let applied = 0;
  let lost = 0;
  let partial = 0;
  let duplicated = 0;
  plans.forEach((lines, k) => {
    const good = lines.filter((l) => l.good);
    const hasBad = lines.some((l) => !l.good);
    const seen = good.filter((l) => (counts.get(l.cue!) ?? 0) > 0).length;
    duplicated += good.filter((l) => (counts.get(l.cue!) ?? 0) > 1).length;
    if (hasBad) {
      if (seen > 0) partial++;
      if (!quarantinedNames.has(`fuzz-${String(k).padStart(4, '0')}`)) lost++; // a bad file must be kept, quarantined
      return;
    }
    expected += good.length;
    applied += seen;
    lost += good.length - seen;
  });
  return { files, expected, applied, lost, partial, duplicated, quarantined: quarantinedNames.size };
}
