// A spill write interrupted by kill -9 or a power cut leaves `<name>.jsonl.tmp` behind.
// Once its writer is gone, a complete one is put in line and an incomplete one quarantined
// (its good lines can be salvaged), so data that reached the disk is not forgotten there.
import { join } from 'node:path';
import fse from 'fs-extra';
import type { Logger } from '../log.js';
import { publishNoReplace } from './no-replace.js';
import { quarantineSpillFile } from './quarantine.js';
import { scanSpillFile } from './spill-reader.js';

/** `<ms>-<seq>-<pid>[-<tag>…].jsonl.tmp`: the parts of a split spill carry a `-p0001` tag. */
const TMP = /^(\d{13}-\d{6}-(\d+)(?:-[A-Za-z0-9]+)*)\.jsonl\.tmp$/;

function writerAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Recovers abandoned `*.jsonl.tmp` files older than `minAgeMs`; returns how many it handled. */
export async function recoverAbandonedTmpFiles(dir: string, logger: Logger, minAgeMs = 5000): Promise<number> {
  let names: string[];
  try {
    names = await fse.readdir(dir);
  } catch {
    return 0;
  }
  let handled = 0;
  for (const tmp of names) {
    const m = TMP.exec(tmp);
    if (!m || writerAlive(Number(m[2]))) continue;
    const path = join(dir, tmp);
    const st = await fse.lstat(path).catch(() => undefined);
    if (!st?.isFile() || Date.now() - st.mtimeMs < minAgeMs) continue;
    const name = `${m[1]}.jsonl`;
    const content = await scanSpillFile(path, name); // streamed: its size never matters
    const complete = st.size > 0 && (await lastByte(path, st.size)) === 0x0a && content.kind !== 'malformed';
    if (complete) {
      await publishNoReplace(path, join(dir, name));
      logger.warn({ file: name }, 'abandoned spill write was complete; put back in line');
    } else if (st.size === 0) {
      await fse.rm(path, { force: true });
    } else {
      await publishNoReplace(path, join(dir, name));
      const as = await quarantineSpillFile(dir, name, 'incomplete spill write: its writer died mid-write; salvage the valid lines');
      logger.error({ file: name, quarantinedAs: as }, 'abandoned spill write was incomplete; quarantined');
    }
    handled++;
  }
  return handled;
}

async function lastByte(path: string, size: number): Promise<number | undefined> {
  const fh = await fse.promises.open(path, 'r');
  try {
    const b = Buffer.alloc(1);
    const { bytesRead } = await fh.read(b, 0, 1, size - 1);
    return bytesRead === 1 ? b[0] : undefined;
  } finally {
    await fh.close();
  }
}
