// Spill file names: `<13-digit unix ms>-<6-digit sequence>-<pid>.jsonl`, so lexical order is age.
// The ms is the id clock's (entry-id.ts), not Date.now(): a wall clock stepped back while the
// process runs would name a newer file before an older one, and it would be read back first.
// Quarantined files keep their stem: `<stem>.failed-<unix ms>.jsonl`, never read again.
import { idNowMs } from '../entry-id.js';

let sequence = 0;

export function newSpillFileName(now = idNowMs()): string {
  sequence = (sequence + 1) % 1_000_000;
  return `${String(now).padStart(13, '0')}-${String(sequence).padStart(6, '0')}-${process.pid}.jsonl`;
}

const QUARANTINED = /\.failed-\d+\.jsonl$/;

export function isQuarantinedName(name: string): boolean {
  return QUARANTINED.test(name);
}

/** A file the queue will import: any `*.jsonl` that is not quarantined. */
export function isPendingName(name: string): boolean {
  return name.endsWith('.jsonl') && !isQuarantinedName(name);
}

export function quarantineNameFor(name: string, now = Date.now()): string {
  return `${name.replace(/\.jsonl$/, '')}.failed-${now}.jsonl`;
}

/** `x.failed-123.jsonl` → `x.jsonl`: where `provq spill retry` puts a file back. */
export function originalNameOf(quarantinedName: string): string {
  return quarantinedName.replace(QUARANTINED, '.jsonl');
}

/** Where the reason for a quarantine is kept, beside the file (not `*.jsonl`, so never imported). */
export function reasonFileFor(quarantinedName: string): string {
  return `${quarantinedName}.reason.json`;
}

/** The 13-digit time at the head of a queue-written name, or undefined for hand-made names. */
export function spillFileTime(name: string): number | undefined {
  const m = /^(\d{13})-/.exec(name);
  return m ? Number(m[1]) : undefined;
}

/**
 * The read-back lease's claim, `read-back.lock` in a spill directory (read-back-lease.ts):
 * not `*.jsonl`, so never imported nor taken for a file's claim.
 */
export const READ_BACK_LEASE = 'read-back';
