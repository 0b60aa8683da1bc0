// A read-back chunk the sink refused: is the sink down (the file waits), or does it refuse
// some pairs alone (those are set aside, the rest applied)? Two searches answer it, both by
// sending parts of the chunk again. A pair is set aside only when the sink refused it alone
// twice and accepted a call beside it in the same breath; anything less is a sink that is
// down: null, and the file waits.
import type { IdentifiedPair } from './spill-writer.js';

/**
 * A chunk's fate: not ok means the sink is failing, or (`halted`) the queue halted and
 * called it no more; ok may name pairs whose records the sink does not know.
 */
export type ChunkDelivered = { ok: false; halted?: boolean } | { ok: true; unknownRecords?: IdentifiedPair[] | undefined };
type Deliver = (pairs: IdentifiedPair[], once?: boolean) => Promise<ChunkDelivered>;

/**
 * A pair refused alone, twice, with no pair after it in its chunk to tell a refusal from a
 * sink that is down: the file waits, but the files behind it need not (replay's `lonely`).
 * Searched again once the sink has taken other calls (`sinkUpSince`), it is set aside.
 */
export const LONELY = 'lonely';
/** What a search found: the pairs to set aside, null (the sink is down: the file waits), or LONELY. */
export type SearchResult = IdentifiedPair[] | null | typeof LONELY;

/**
 * By halves: while the sink accepts one half and refuses the other, down to the pairs it
 * refuses alone; both halves refused means the sink is down. A few sink calls, not one per
 * pair — but the right half may be sent before the left one it follows: for sinks that keep
 * order in their keys (several calls in flight), not in arrival.
 * (Two refused pairs that end up in different halves also wait, as a sink that is down.)
 */
export async function findRefused(failing: IdentifiedPair[], deliver: Deliver, unknown: IdentifiedPair[], sinkUpSince = false): Promise<SearchResult> {
  if (failing.length === 1) {
    // A chunk of one pair, refused with its retries: nothing beside it to send.
    if (!sinkUpSince) return LONELY;
    const again = await deliver(failing);
    if (again.ok) {
      if (again.unknownRecords) unknown.push(...again.unknownRecords);
      return [];
    }
    return again.halted ? null : failing;
  }
  if (failing.length < 2) return null;
  const mid = failing.length >> 1;
  const left = failing.slice(0, mid);
  const right = failing.slice(mid);
  const leftDone = await deliver(left);
  const rightDone = await deliver(right);
  for (const d of [leftDone, rightDone]) if (d.ok && d.unknownRecords) unknown.push(...d.unknownRecords);
  if (leftDone.ok && rightDone.ok) return []; // it passed this time
  if (!leftDone.ok && !rightDone.ok) return null;
  // Not called at all (the queue halted: a stop deadline, exit) is not refused: the file waits.
  if (!leftDone.ok && leftDone.halted) return null;
  if (!rightDone.ok && rightDone.halted) return null;
  const refused = leftDone.ok ? right : left;
  if (refused.length > 1) return findRefused(refused, deliver, unknown, sinkUpSince);
  // One pair, refused while its neighbours were accepted: once more alone before it is set
  // aside, so a sink that failed at just those moments (a flaky one) still gets it.
  const again = await deliver(refused);
  if (again.ok) {
    if (again.unknownRecords) unknown.push(...again.unknownRecords);
    return [];
  }
  return again.halted ? null : refused;
}

/**
 * In the chunk's order, for a sink that keeps one call in flight and may keep its history in
 * arrival order: no pair is sent before every pair ahead of it is in the sink or set aside.
 * A part refused right after the sink accepted a call is halved (its left half first); one
 * refused with no such sign of a working sink is tried from its first pair alone. A pair
 * refused alone twice is set aside when the call just before its first try alone was
 * accepted; else the next pair is sent alone (refused too: the sink is down, null) and then
 * the pair once more, so that a sink coming back in the middle of the search is not taken
 * for one refusing the pair. One call more than the halving search while the sink is down.
 * The chunk's last pair has no next pair to probe with: LONELY. With `sinkUpSince` (the file
 * read again after the sink took other calls) a pair refused alone twice is set aside.
 */
export async function findRefusedInOrder(chunk: IdentifiedPair[], deliver: Deliver, unknown: IdentifiedPair[], sinkUpSince = false): Promise<SearchResult> {
  const refused: IdentifiedPair[] = [];
  let lastOk = false;
  const send = async (pairs: IdentifiedPair[], once?: boolean): Promise<ChunkDelivered> => {
    const d = once ? await deliver(pairs, true) : await deliver(pairs);
    if (d.ok && d.unknownRecords) unknown.push(...d.unknownRecords);
    lastOk = d.ok;
    return d;
  };
  const halted = (d: ChunkDelivered): boolean => !d.ok && d.halted === true;
  const n = chunk.length;
  let from = 0;
  /** chunk[from, refusedEnd) was refused whole by the last call... */
  let refusedEnd = n;
  /** ...and the call before that one was accepted. */
  let upBefore = false;
  for (;;) {
    const single = refusedEnd - from === 1;
    if (!single && upBefore) {
      const mid = (from + refusedEnd) >> 1;
      const left = await send(chunk.slice(from, mid));
      if (halted(left)) return null;
      if (!left.ok) {
        refusedEnd = mid;
        upBefore = false;
        continue;
      }
      from = mid;
    } else {
      const pair = chunk[from]!;
      const first = single ? null : await send([pair]);
      if (first && halted(first)) return null;
      if (first?.ok) from++;
      else {
        const again = await send([pair]); // once more alone: a flaky sink still gets it
        if (halted(again)) return null;
        if (again.ok) from++;
        else if ((single && upBefore) || sinkUpSince) {
          // Refused alone twice right after an accepted call, or in a file read again after
          // the sink took other calls since it last waited (sinkUpSince): refused.
          refused.push(pair);
          from++;
        } else {
          // No call accepted just before: the next pair alone tells a sink that is down (the
          // file waits) from one that works; then the pair a third time, now right after an
          // accepted call. The probe is one call, no retry, made in the same run of microtasks
          // as the pair's last refusal came back: only a sink that changed its mind from one
          // call to the next (a remote one coming back just then) gets the two swapped; one
          // in this process whose state changes in another task cannot.
          if (from + 1 >= n) return LONELY;
          const next = await send([chunk[from + 1]!], true);
          if (!next.ok) return null;
          const third = await send([pair]);
          if (halted(third)) return null;
          if (!third.ok) refused.push(pair);
          from += 2;
        }
      }
    }
    if (from >= n) return refused;
    // What is left of the part refused (the halving's narrowed range), then the rest of the
    // chunk: sending the whole rest at once would forget the range and walk to a refused pair
    // one pair at a time (a call of up to the whole chunk for each pair before it).
    const upTo = from < refusedEnd ? refusedEnd : n;
    const before = lastOk;
    const next = await send(chunk.slice(from, upTo));
    if (halted(next)) return null;
    if (next.ok) {
      if (upTo === n) return refused;
      from = upTo;
      const restBefore = lastOk;
      const rest = await send(chunk.slice(from));
      if (rest.ok) return refused;
      if (halted(rest)) return null;
      refusedEnd = n;
      upBefore = restBefore;
    } else {
      refusedEnd = upTo;
      upBefore = before;
    }
  }
}
