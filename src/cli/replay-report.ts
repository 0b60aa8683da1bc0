// What `provq spill replay` (and `retry --store`) tells the operator: a progress bar on a
// terminal, plain lines otherwise, and the files that need a human at the end.
import cliProgress from 'cli-progress';
import type { ReplayOutcome } from '../spill/replay.js';
import type { StoreStats } from '../store/memory-record.js';
import type { CliStore } from './open-store.js';
import type { Io } from './io.js';
import { count } from './plural.js';

export class ReplayReport {
  private readonly bar: cliProgress.SingleBar | null;
  private readonly before: StoreStats;
  private files = 0;
  private pairs = 0;
  /** `rest`: a journal segment's rest set aside, from this line (the lines before it applied). */
  private readonly quarantined: { file: string; as: string; reason: string; rest?: number }[] = [];
  private readonly notes: string[] = [];
  private readonly failures: string[] = [];

  /** `totalPairs` null: no progress bar (a handful of files). */
  static async start(io: Io, store: CliStore, totalPairs: number | null): Promise<ReplayReport> {
    return new ReplayReport(io, store, totalPairs, await store.stats());
  }

  private constructor(
    private readonly io: Io,
    private readonly store: CliStore,
    totalPairs: number | null,
    before: StoreStats,
  ) {
    this.before = before;
    this.bar = io.interactive && totalPairs !== null
      ? new cliProgress.SingleBar(
          { format: 'replay [{bar}] {value}/{total} pairs | {file}', stream: io.progress, hideCursor: true },
          cliProgress.Presets.shades_classic,
        )
      : null;
    this.bar?.start(totalPairs ?? 0, 0, { file: '' });
  }

  progress(file: string, pairsDoneInFile: number): void {
    this.bar?.update(this.pairs + pairsDoneInFile, { file });
  }

  fileDone(file: string, outcome: ReplayOutcome): void {
    switch (outcome.kind) {
      case 'applied':
        this.files++;
        this.pairs += outcome.pairs;
        this.bar?.update(this.pairs, { file });
        if (!this.bar) this.io.err(`applied ${file}: ${count(outcome.pairs, 'pair')}`);
        if (outcome.rest) this.quarantined.push({ file, as: outcome.rest.as, reason: outcome.rest.reason, rest: outcome.rest.line });
        break;
      case 'quarantined':
        this.quarantined.push({ file, as: outcome.as, reason: outcome.reason });
        break;
      case 'deferred':
      case 'skipped':
        this.notes.push(`${file} left pending: ${outcome.reason}`);
        break;
    }
  }

  fileFailed(file: string, err: unknown): void {
    const msg = err instanceof Error ? err.message : String(err);
    this.failures.push(`could not apply ${file}, it stays pending: ${msg.replace(/\s+/g, ' ')}`);
  }

  /** Prints the summary; returns the exit code: 1 if anything was quarantined or could not be applied. */
  async finish(storePath: string, heldElsewhere: string[], notRegular: string[] = []): Promise<number> {
    this.bar?.stop();
    const after = await this.store.stats();
    this.io.out(`replayed ${count(this.files, 'file')}, ${count(this.pairs, 'pair')} into ${storePath}`);
    const duplicates = after.duplicatePairs - this.before.duplicatePairs;
    const unknown = after.unknownRecordPairs - this.before.unknownRecordPairs;
    if (duplicates) this.io.err(`${count(duplicates, 'pair')} ${duplicates === 1 ? 'was' : 'were'} already in the store (replayed before), kept once`);
    if (unknown) this.io.err(`warning: ${count(unknown, 'pair')} ${unknown === 1 ? 'names a record that does' : 'name records that do'} not exist in ${storePath}; ${unknown === 1 ? 'it was' : 'they were'} skipped`);
    if (heldElsewhere.length) this.io.err(`${count(heldElsewhere.length, 'file')} ${heldElsewhere.length === 1 ? 'is' : 'are'} claimed by another process, which applies ${heldElsewhere.length === 1 ? 'it' : 'them'}: ${heldElsewhere.join(', ')}`);
    if (notRegular.length) this.io.err(`warning: ${count(notRegular.length, 'entry', 'entries')} ${notRegular.length === 1 ? 'is not a regular file and was' : 'are not regular files and were'} not read (symlinks, FIFOs and directories never are): ${notRegular.join(', ')}; to have one applied, put the file itself in its place`);
    for (const n of this.notes) this.io.err(n);
    for (const f of this.failures) this.io.err(f);
    for (const q of this.quarantined) {
      this.io.err(q.rest === undefined ? `quarantined ${q.file} as ${q.as}: ${q.reason}` : `set aside the rest of ${q.file} from line ${q.rest} as ${q.as}: ${q.reason}`);
    }
    if (this.quarantined.length) this.io.err('fix each quarantined file, then: provq spill retry <file>   (or --salvage for its valid lines)');
    return this.quarantined.length || this.failures.length ? 1 : 0;
  }
}
