// What "plain JSON data" means for an entry's fields: strings, finite numbers, booleans,
// null, arrays without holes and plain objects, nested at most MAX_JSON_DEPTH deep — no
// cycles, BigInt, functions, symbols, undefined, NaN/Infinity, Dates, Maps or class
// instances, and no string or key with a lone surrogate (LMDB's encoder, msgpackr, writes
// UTF-8, and such a string read back with U+FFFD in its place). Such a value round-trips
// through a spill line and LMDB unchanged.

/** Deeper nesting is refused (a cycle is found before this, with its own reason). */
export const MAX_JSON_DEPTH = 32;
/** Values in one entry at most: a shared object counts each time it is reached (as JSON repeats it). */
export const MAX_JSON_VALUES = 10_000;
/**
 * Characters in one entry's strings and keys at most (1 Mi): even fully escaped, its spill
 * line stays far below the reader's line limit, so an entry the queue accepts can always be
 * read back.
 */
export const MAX_JSON_CHARS = 1024 * 1024;
const TOO_LONG = `the entry's strings and keys hold more than ${MAX_JSON_CHARS} characters; store less per entry (a reference to the data, not the data)`;
/** Why a string (or key) with a lone surrogate is refused: what the LMDB store would do with it, and the fix. */
/** Why a key named `__proto__` is refused: JSON.parse makes it an own key, an assignment a prototype. */
export const PROTO_KEY_REFUSED = 'a key named __proto__ is not allowed (JSON.parse keeps it as a field, an object copy sets the prototype); rename the field';

export const loneSurrogate = (what: string): string =>
  `${what} with a lone surrogate (half of a UTF-16 pair) is not well-formed Unicode; the LMDB store would read it back with U+FFFD in its place: fix the text (e.g. s.toWellFormed())`;

/** No lone surrogate in `s` (ES2024's String.prototype.isWellFormed, in Node 20; the project's lib is ES2023). */
export function isWellFormed(s: string): boolean {
  return (s as unknown as { isWellFormed(): boolean }).isWellFormed();
}

interface Budget {
  values: number;
  chars: number;
  /**
   * Object.prototype has an enumerable key (a polluted prototype): for…in lists it on every
   * object, and an object's own keys are then told apart, as JSON.stringify and msgpackr do.
   * Before, enqueue's copy took such a key as the entry's own field and stored it, where
   * appendProvenanceBatch did not (breaker15). Checked once a value (about 2 ns).
   */
  inherited: boolean;
}
const fullBudget = (): Budget => ({ values: MAX_JSON_VALUES, chars: MAX_JSON_CHARS, inherited: !objectPrototypeIsPlain() });

/** Where a value stops being plain JSON data, and why (for an error that names the field). */
export interface JsonFault {
  path: (string | number)[];
  reason: string;
}

/**
 * The first place in `value` that is not plain JSON data, or null; the fault's path is
 * from `value` down. Cycles are told apart from depth by the chain of parents.
 */
export function findJsonFault(value: unknown): JsonFault | null {
  return walk(value, [], fullBudget());
}

// The fault's path is built on the way back up, so a valid value costs no allocation per field.
function walk(v: unknown, parents: object[], budget: Budget): JsonFault | null {
  if (--budget.values < 0) return { path: [], reason: `the entry holds more than ${MAX_JSON_VALUES} values; store less per entry` };
  if (typeof v === 'string') {
    if ((budget.chars -= v.length) < 0) return { path: [], reason: TOO_LONG };
    if (!isWellFormed(v)) return { path: [], reason: loneSurrogate('a string') };
  }
  const fault = primitiveFault(v);
  if (fault !== null) return { path: [], reason: fault };
  if (typeof v !== 'object' || v === null) return null;
  if (parents.includes(v)) return { path: [], reason: 'a circular reference; entries must be plain JSON data (no cycles)' };
  if (parents.length >= MAX_JSON_DEPTH) return { path: [], reason: `nested deeper than ${MAX_JSON_DEPTH} levels; flatten it` };
  parents.push(v);
  try {
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const f = walk(v[i], parents, budget);
        if (f) return (f.path.unshift(i), f);
      }
      return null;
    }
    if (!isPlainRecord(v)) {
      const name = (v as object).constructor?.name;
      const kind = name ? `a ${name}` : 'an object without a plain prototype';
      return { path: [], reason: `${kind} is not a plain object; store plain JSON data (e.g. a date as an ISO string)` };
    }
    for (const k in v) {
      if (budget.inherited && !Object.hasOwn(v, k)) continue;
      if (k === '__proto__') return { path: [k], reason: PROTO_KEY_REFUSED };
      if ((budget.chars -= k.length) < 0) return { path: [k], reason: TOO_LONG };
      if (!isWellFormed(k)) return { path: [k], reason: loneSurrogate('a key') };
      const f = walk(v[k], parents, budget);
      if (f) return (f.path.unshift(k), f);
    }
    return null;
  } finally {
    parents.pop();
  }
}

/**
 * True when `v` is a plain object whose fields are all strings, finite numbers, booleans or
 * null (what nearly every entry is), within the limits: then findJsonFault(v) is null. Checked
 * without allocating (findJsonFault's chain of parents and budget are ~150 bytes an entry,
 * row 11's read-back); false says nothing: ask findJsonFault.
 */
export function isFlatJsonRecord(v: unknown): boolean {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || !isPlainRecord(v) || !objectPrototypeIsPlain()) return false;
  let values = 1;
  let chars = 0;
  for (const k in v) {
    if (k === '__proto__' || ++values > MAX_JSON_VALUES || !isWellFormed(k)) return false;
    chars += k.length;
    const x = v[k];
    if (typeof x === 'string') {
      chars += x.length;
      if (!isWellFormed(x)) return false;
    } else if (typeof x === 'number') {
      if (!Number.isFinite(x)) return false;
    } else if (typeof x !== 'boolean' && x !== null) return false;
  }
  return chars <= MAX_JSON_CHARS;
}

/** Why a non-object value is not JSON data, or null when it is fine (objects: null too). */
function primitiveFault(v: unknown): string | null {
  switch (typeof v) {
    case 'string':
    case 'boolean':
    case 'object':
      return null;
    case 'number':
      return Number.isFinite(v) ? null : `${String(v)} is not a finite number; JSON has no NaN or Infinity`;
    case 'undefined':
      return 'undefined is not JSON data; leave the field out or use null';
    case 'bigint':
      return 'a BigInt is not JSON data; store it as a string or a number';
    case 'function':
      return 'a function is not JSON data';
    case 'symbol':
      return 'a symbol is not JSON data';
  }
}

/**
 * No enumerable key was added to Object.prototype: a for…in over a plain object then lists
 * its own keys only, as JSON.stringify and msgpackr see them (the check costs about 2 ns).
 */
export function objectPrototypeIsPlain(): boolean {
  for (const _ in Object.prototype) return false;
  return true;
}

/**
 * `v` as a schema should see it: when Object.prototype has an enumerable key (a polluted
 * prototype), plain objects and arrays are copied, at every depth up to the JSON limit,
 * with their own keys only, on a null prototype — zod lists keys with for…in, so a strict object refused the
 * inherited key (every spill line was quarantined, every options object refused) and a
 * loose one took it as its own. `v` itself otherwise (the check costs about 2 ns).
 */
export function ownData(v: unknown): unknown {
  return objectPrototypeIsPlain() ? v : ownCopy(v, 0);
}

function ownCopy(v: unknown, depth: number): unknown {
  // Deeper than the JSON limit: left as it is (the schema refuses it for its depth).
  if (typeof v !== 'object' || v === null || depth > MAX_JSON_DEPTH + 2) return v;
  if (Array.isArray(v)) return v.map((x) => ownCopy(x, depth + 1));
  if (!isPlainRecord(v)) return v;
  // A null prototype: a copy made by `{}` would inherit the polluted key again.
  const out = Object.create(null) as Record<string, unknown>;
  for (const k of Object.keys(v)) Object.defineProperty(out, k, { value: ownCopy(v[k], depth + 1), enumerable: true, writable: true, configurable: true });
  return out;
}

/** An object made by `{}` or JSON.parse (or with a null prototype). */
export function isPlainRecord(v: object): v is Record<string, unknown> {
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

const NOT_JSON = Symbol('not plain JSON data');

/**
 * The hot path's twin of findJsonFault: a deep copy of `v` when it is plain JSON data within
 * the same limits, else NOT_JSON (the caller then asks findJsonFault why). It must never
 * return a copy of a value findJsonFault faults — test/validate.test.ts checks that.
 */
export function copyJsonData(v: unknown): unknown {
  return copyValue(v, [], fullBudget());
}

export function isNotJson(copy: unknown): boolean {
  return copy === NOT_JSON;
}

function copyValue(v: unknown, parents: object[], budget: Budget): unknown {
  if (--budget.values < 0) return NOT_JSON;
  if (typeof v === 'string' && ((budget.chars -= v.length) < 0 || !isWellFormed(v))) return NOT_JSON;
  if (typeof v !== 'object' || v === null) return primitiveFault(v) === null ? v : NOT_JSON;
  return copyObject(v, parents, budget);
}

function copyObject(v: object, parents: object[], budget: Budget): unknown {
  if (parents.length >= MAX_JSON_DEPTH || parents.includes(v)) return NOT_JSON;
  parents.push(v);
  try {
    if (Array.isArray(v)) {
      const out: unknown[] = new Array(v.length);
      for (let i = 0; i < v.length; i++) {
        const c = copyValue(v[i], parents, budget);
        if (c === NOT_JSON) return NOT_JSON;
        out[i] = c;
      }
      return out;
    }
    if (!isPlainRecord(v)) return NOT_JSON;
    const out: Record<string, unknown> = {};
    for (const k in v) {
      if (budget.inherited && !Object.hasOwn(v, k)) continue;
      if (k === '__proto__' || (budget.chars -= k.length) < 0 || !isWellFormed(k)) return NOT_JSON;
      const c = copyValue(v[k], parents, budget);
      if (c === NOT_JSON) return NOT_JSON;
      out[k] = c;
    }
    return out;
  } finally {
    parents.pop();
  }
}
