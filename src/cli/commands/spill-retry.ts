// provq spill retry FILE [--salvage] [--store PATH | --postgres URL]: put a quarantined file back in line,
// whole once it is fixed, or (--salvage) only its valid lines.
import { basename, dirname, join, resolve } from 'node:path';
import fse from 'fs-extra';
import { salvageQuarantinedFile } from '../../spill/salvage.js';
import { OWNER_FILE } from '../../spill/dir-owner.js';
import { isQuarantinedName, originalNameOf, reasonFileFor } from '../../spill/spill-file-name.js';
import { SPILL_DIR_NAME } from '../../store/store-layout.js';
import { readSpillFile } from '../../spill/spill-reader.js';
import { applyNamedSpillFiles } from '../apply-spill-file.js';
import { parseArgs, retryArgsSchema } from '../args.js';
import { CommandError, UsageError } from '../../errors.js';
import type { Io } from '../io.js';
import { openTargetStore } from '../open-store.js';
import { assertStoreOwnsDir } from '../store-dirs.js';
import { count } from '../plural.js';

export async function spillRetryCommand(raw: unknown, io: Io): Promise<number> {
  const args = parseArgs(retryArgsSchema, raw);
  if (!isQuarantinedName(basename(args.file))) {
    throw new UsageError(`${args.file}: not a quarantined spill file (<name>.failed-<ms>.jsonl); provq spill status lists them`);
  }
  const path = resolve(args.file);
  const st = await fse.lstat(path).catch(() => undefined);
  if (!st) throw new CommandError(`${args.file}: no such file; provq spill status lists the quarantined files`);
  if (!st.isFile()) throw new CommandError(`${args.file}: not a regular file; retry takes a quarantined spill file`);
  if (!(await isInSpillDir(path))) {
    throw new CommandError(
      `${args.file}: not in a spill directory (no ${OWNER_FILE} marker, no ${reasonFileFor(basename(path))} beside it, ` +
        `and the directory is not named ${SPILL_DIR_NAME}); nothing was renamed: move it back into the spill directory it was quarantined in, then retry`,
    );
  }
  // Opened first, so a wrong --store fails before any file is moved.
  const store = args.store || args.postgres ? await openTargetStore({ ...args, dir: dirname(path) }) : null;
  try {
    // Applied to the store given: the file's directory must be that store's, else nothing moves.
    if (store) assertStoreOwnsDir(store, dirname(path), 'spill directory');
    const back = args.salvage ? await salvage(path, io) : await putBack(path, io);
    if (back === null) return 1;
    if (store && back.length) return await applyNamedSpillFiles(store, dirname(path), back, io);
    return 0;
  } finally {
    await store?.close();
  }
}

/**
 * Retry only renames within a spill directory: put back anywhere else, a file would be read
 * by nobody while the command said it was back in line.
 */
async function isInSpillDir(path: string): Promise<boolean> {
  const dir = dirname(path);
  if (basename(dir) === SPILL_DIR_NAME) return true;
  return (await fse.pathExists(join(dir, OWNER_FILE))) || fse.pathExists(join(dir, reasonFileFor(basename(path))));
}

/** Validates the whole file; if it is fine now, renames it back to its original name. */
async function putBack(path: string, io: Io): Promise<string[] | null> {
  const dir = dirname(path);
  const original = originalNameOf(basename(path));
  const content = await readSpillFile(path, original);
  if (content.kind === 'gone') throw new CommandError(`${path}: no such file; provq spill status lists the quarantined files`);
  if (content.kind === 'not-a-file') throw new CommandError(`${path}: ${content.reason}; retry takes a quarantined spill file`);
  if (content.kind === 'untrusted') {
    io.err(`${path} is ${content.reason}`);
    return null;
  }
  if (content.kind === 'malformed') {
    io.err(`${path} is still malformed: ${content.reason}; fix it and retry, or use --salvage to apply only the valid lines`);
    return null;
  }
  const target = join(dir, original);
  if (await fse.pathExists(target)) throw new CommandError(`${target} already exists; move it aside, then retry`);
  await fse.rename(path, target);
  await fse.rm(join(dir, reasonFileFor(basename(path))), { force: true });
  const pairs = content.kind === 'pairs' ? content.pairs.length : 0;
  io.out(`${original} is back in line (${count(pairs, 'pair')}); a running queue or provq spill replay applies it`);
  return [original];
}

/** Valid lines to a new pending file; the bad ones stay quarantined in the same file. */
async function salvage(path: string, io: Io): Promise<string[] | null> {
  const r = await salvageQuarantinedFile(path);
  if ('refused' in r) {
    // As a plain retry says it: nothing of the file is applied, and it stays as it is.
    io.err(`${path} is ${r.refused}`);
    return null;
  }
  io.out(`salvaged ${count(r.goodLines, 'valid line')}${r.salvagedFiles.length ? ` into ${r.salvagedFiles.join(', ')}` : ''}; ${count(r.badLines.length, 'bad line')}`);
  for (const b of r.badLines) io.err(`  still bad: ${b.reason}`);
  if (r.remainder) io.err(`the bad lines stay quarantined in ${r.remainder} (at their original line numbers); fix them, then retry it`);
  return r.salvagedFiles;
}
