// Quarantine: a malformed spill file is renamed whole beside itself, with its reason in a
// sidecar that `provq spill status` reads. It is never picked up again.
import { join } from 'node:path';
import fse from 'fs-extra';
import { isExists, publishNoReplace } from './no-replace.js';
import { quarantineNameFor, reasonFileFor } from './spill-file-name.js';

export interface QuarantineReason {
  file: string;
  quarantinedAs: string;
  reason: string;
  at: string;
}

export async function quarantineSpillFile(dir: string, name: string, reason: string): Promise<string> {
  let now = Date.now();
  let quarantined = quarantineNameFor(name, now);
  // Never over another quarantined file: one of the same name and millisecond moves us on.
  for (;;) {
    try {
      await publishNoReplace(join(dir, name), join(dir, quarantined));
      break;
    } catch (err) {
      if (!isExists(err)) throw err;
      quarantined = quarantineNameFor(name, ++now);
    }
  }
  const record: QuarantineReason = { file: name, quarantinedAs: quarantined, reason, at: new Date(now).toISOString() };
  await fse.writeJson(join(dir, reasonFileFor(quarantined)), record, { spaces: 2, mode: 0o600 });
  return quarantined;
}

export async function readQuarantineReason(dir: string, quarantined: string): Promise<string | undefined> {
  try {
    const r = (await fse.readJson(join(dir, reasonFileFor(quarantined)))) as Partial<QuarantineReason>;
    return typeof r.reason === 'string' ? r.reason : undefined;
  } catch {
    return undefined;
  }
}
