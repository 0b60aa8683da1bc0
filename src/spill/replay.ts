// Replays one claimed spill file into a sink: validate all, quarantine or write it in
// chunks, and delete it only after every pair is durable. Used by the queue and the CLI.
import fse from 'fs-extra';
import type { Logger } from '../log.js';
import type { SpillClaim } from './spill-claims.js';
import { quarantineSpillFile, type QuarantineReason } from './quarantine.js';
import { quarantineNameFor, reasonFileFor } from './spill-file-name.js';
import { setAsideJournalRest, type RestSetAside } from './journal-rest.js';
import { assertUnchangedSince } from './file-version.js';
import { readSpillChunks, scanSpillFile, type JournalRest } from './spill-reader.js';
import { findRefused, findRefusedInOrder, LONELY, type ChunkDelivered } from './refused-search.js';
import { serializeSpillLines, writeDurably, type IdentifiedPair } from './spill-writer.js';

export type ReplayOutcome =
  /**
   * `setAside`: pairs the sink refused on every attempt, written to a quarantined file of their own.
   * `rest`: a dead writer's journal segment with data after zeros: `pairs` were its lines before
   * them; the rest of it was set aside whole (journal-rest.ts).
   */
  | { kind: 'applied'; pairs: number; setAside?: { as: string; pairs: number; refused: number }; tornLines?: number; rest?: RestSetAside }
  | { kind: 'quarantined'; as: string; reason: string }
  | { kind: 'skipped'; reason: string }
  /** `lonely`: a pair refused alone with none beside it (refused-search.ts LONELY); files behind it may go on. */
  | { kind: 'deferred'; reason: string; lonely?: true };

export type { ChunkDelivered };

export interface ReplayOptions {
  dir: string;
  chunkPairs: number;
  logger: Logger;
  /**
   * Writes one chunk of read-back pairs durably; false means the sink is failing: leave the
   * file for later. `once`: one attempt, no retries (the in-order search's probe).
   */
  deliver(pairs: IdentifiedPair[], once?: boolean): Promise<ChunkDelivered>;
  onProgress?(pairsDone: number, pairsTotal: number): void;
  /** A dead writer's journal segment: its cut last line is dropped, not a reason to quarantine. */
  dropTornTail?: boolean;
  /**
   * The sink keeps one call in flight and may keep arrival order: a refused chunk is searched
   * in order, no pair sent ahead of one before it (refused-search.ts). Default: by halves.
   */
  inOrder?: boolean;
  /**
   * The sink has taken other calls since this file last waited: a pair it refuses alone twice
   * now is refused, not a sink that is down (refused-search.ts).
   */
  sinkUpSince?: boolean;
}

export async function replayClaimedFile(claim: SpillClaim, opts: ReplayOptions): Promise<ReplayOutcome> {
  const readOpts = { dropTornTail: opts.dropTornTail ?? false };
  // Validated whole first, then applied chunk by chunk: memory stays bounded by a chunk.
  const content = await scanSpillFile(claim.path, claim.name, readOpts);
  switch (content.kind) {
    case 'gone':
      return { kind: 'skipped', reason: 'already gone' };
    case 'not-a-file':
      opts.logger.warn({ file: claim.name, reason: content.reason }, 'spill entry skipped');
      return { kind: 'skipped', reason: content.reason };
    case 'empty': {
      const rest = content.rest && content.version ? await setAsideRest(claim.name, content.rest, content.version, 0, opts) : undefined;
      if (content.version) await assertUnchangedSince(claim.path, claim.name, content.version);
      await fse.rm(claim.path, { force: true });
      if (!rest) opts.logger.info({ file: claim.name }, 'empty spill file removed');
      const outcome: ReplayOutcome = { kind: 'applied', pairs: 0 };
      if (content.tornLines) outcome.tornLines = content.tornLines;
      if (rest) outcome.rest = rest;
      return outcome;
    }
    case 'untrusted':
    case 'malformed': {
      const as = await quarantineSpillFile(opts.dir, claim.name, content.reason);
      opts.logger.error({
        file: claim.name,
        quarantinedAs: as,
        reason: content.reason,
        fix: 'correct the file, then run: provq spill retry <file> (or --salvage to apply the valid lines)',
      }, 'spill file quarantined; nothing of it was applied');
      return { kind: 'quarantined', as, reason: content.reason };
    }
    case 'pairs':
      break;
  }
  const total = content.pairs;
  const refused: IdentifiedPair[] = [];
  const unknown: IdentifiedPair[] = [];
  let delivered = 0;
  for await (const chunk of readSpillChunks(claim.path, claim.name, opts.chunkPairs, content.version, readOpts)) {
    if (claim.compromised) return { kind: 'deferred', reason: 'claim taken over by another process' };
    const done = await opts.deliver(chunk);
    if (done.ok) {
      if (done.unknownRecords) unknown.push(...done.unknownRecords);
    } else {
      const search = opts.inOrder ? findRefusedInOrder : findRefused;
      const found = done.halted ? null : await search(chunk, opts.deliver, unknown, opts.sinkUpSince ?? false);
      if (found === LONELY) {
        return {
          kind: 'deferred',
          reason: 'a pair the sink refused alone, with no pair beside it to tell a refusal from a sink that is down; it is tried again once the sink has taken other calls',
          lonely: true,
        };
      }
      if (!found) return { kind: 'deferred', reason: done.halted ? 'queue halted' : 'sink failing' };
      refused.push(...found);
    }
    delivered += chunk.length;
    opts.onProgress?.(delivered, total);
  }
  let as: string | undefined;
  if (refused.length > 0) {
    as = await setAside(claim.name, 'refused', refused, opts,
      `the sink refused ${refused.length} of the ${total} pairs of ${claim.name} on every attempt while it accepted the rest; fix the sink or the pairs, then: provq spill retry <file>`);
  }
  const refusedBySink = refused.length;
  if (unknown.length > 0) {
    const name = await setAside(claim.name, 'unknown-records', unknown, opts,
      `${unknown.length} of the ${total} pairs of ${claim.name} are for records this sink does not know (${sample(unknown)}); ` +
        'insert the records (or apply the file to the store that has them), then: provq spill retry <file>');
    as ??= name;
    refused.push(...unknown);
  }
  const applied = total - refused.length;
  // Last, once the lines before it are durable: a sink failing before this leaves the segment
  // whole, its rest not set aside twice. (A crash between this and the delete below sets it
  // aside again on the next read: two files of the same bytes, their pairs' ids the same.)
  const rest = content.rest ? await setAsideRest(claim.name, content.rest, content.version, applied, opts) : undefined;
  // Every pair is durable now (in the sink, or set aside), so deleting is safe even if
  // another process took the claim over — unless the file changed after it was read: then
  // it stays, to be read again (SpillFileChangedError: retried later).
  await assertUnchangedSince(claim.path, claim.name, content.version);
  await fse.rm(claim.path, { force: true });
  const outcome: ReplayOutcome = { kind: 'applied', pairs: applied };
  if (as) outcome.setAside = { as, pairs: refused.length, refused: refusedBySink };
  if (content.tornLines) outcome.tornLines = content.tornLines;
  if (rest) outcome.rest = rest;
  return outcome;
}

/** A journal segment's rest after its zeros, set aside whole once the lines before it are applied. */
async function setAsideRest(name: string, rest: JournalRest, version: string, applied: number, opts: ReplayOptions): Promise<RestSetAside> {
  const r = await setAsideJournalRest(opts.dir, name, rest, version, applied);
  opts.logger.error(
    { file: name, quarantinedAs: r.as, appliedPairs: applied, restLine: r.line, restBytes: r.bytes, nulOffset: rest.nul, reason: r.reason, fix: `provq spill retry ${r.as} --salvage --store PATH` },
    'journal segment applied up to zeros with data after them; the rest is set aside',
  );
  return r;
}

function sample(pairs: IdentifiedPair[]): string {
  const ids = [...new Set(pairs.map(([id]) => id))];
  return ids.slice(0, 3).join(', ') + (ids.length > 3 ? `, and ${ids.length - 3} more` : '');
}

/** Writes the refused pairs, whole, as a quarantined file with its reason; the operator retries it. */
async function setAside(from: string, tag: string, refused: IdentifiedPair[], opts: ReplayOptions, reason: string): Promise<string> {
  const name = quarantineNameFor(from.replace(/\.jsonl$/, `-${tag}.jsonl`));
  await writeDurably(opts.dir, name, serializeSpillLines(refused));
  const record: QuarantineReason = { file: from, quarantinedAs: name, reason, at: new Date().toISOString() };
  await writeDurably(opts.dir, reasonFileFor(name), `${JSON.stringify(record, null, 2)}\n`);
  opts.logger.error({ file: from, quarantinedAs: name, pairs: refused.length, reason }, 'pairs set aside; the rest of their file is applied');
  return name;
}
