// Structured logs: one JSON object a line, through an injectable logger in pino's shape
// (fields first, message second), so `pino()` or any pino-compatible logger works as is.
import { writeSync } from 'node:fs';

/** The fields of a log line. */
export type LogFields = Record<string, unknown>;

/** pino's calling convention: `logger.warn({ file, pairs }, 'what happened')`. */
export interface Logger {
  /** Detail for debugging (the default logger drops it). */
  debug(obj: object, msg: string): void;
  /** Something worth knowing went right: recovery after errors, pairs saved at exit. */
  info(obj: object, msg: string): void;
  /** Degraded but nothing lost: a sink still failing, pairs going to the spill directory. */
  warn(obj: object, msg: string): void;
  /** Needs attention: a write failed, a spill file quarantined, pairs only on stderr. */
  error(obj: object, msg: string): void;
}

const LEVELS = { debug: 20, info: 30, warn: 40, error: 50 } as const;

/** Set once stderr's reader is gone (EPIPE) or fd 2 is closed: log lines have nowhere to go. */
let stderrGone = false;

/**
 * The default logger's way to stderr: `writeSync` on fd 2, whose errors are thrown here,
 * where they can be dropped. `process.stderr.write` reports a reader that is gone (a log
 * shipper that died, `app 2>&1 | head`) as an 'error' event that, unhandled, ends the
 * application — for a log line. A full non-blocking pipe (EAGAIN) gets the rest of the line
 * through process.stderr, which buffers it, as before.
 */
function writeToStderr(line: string): void {
  if (stderrGone) return;
  const bytes = Buffer.from(line);
  let off = 0;
  try {
    while (off < bytes.length) {
      try {
        off += writeSync(2, bytes, off);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EINTR') throw err;
      }
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EAGAIN') process.stderr.write(bytes.subarray(off));
    else stderrGone = true;
  }
}

/**
 * Writes pino-style lines, `{"level":40,"time":…,"name":"provenance-queue",…fields,"msg":…}`,
 * to a stream (stderr by default). `debug` is dropped unless `debug` is true.
 */
export function jsonLogger(
  write: (line: string) => void = writeToStderr,
  opts: { debug?: boolean } = {},
): Logger {
  const emit = (level: keyof typeof LEVELS) => (obj: object, msg: string) => {
    write(`${JSON.stringify({ level: LEVELS[level], time: Date.now(), name: 'provenance-queue', ...obj, msg }, errorsAsFields)}\n`);
  };
  return { debug: opts.debug ? emit('debug') : () => {}, info: emit('info'), warn: emit('warn'), error: emit('error') };
}

/**
 * The logger as the library calls it: a method that throws (a field it cannot serialize, a
 * closed transport) must not break a worker, a read-back, stop() or the exit drain. The
 * line then goes to stderr as the default logger writes it, with the logger's error.
 */
export function neverThrowing(logger: Logger): Logger {
  let fallback: Logger | undefined;
  const guard =
    (level: keyof typeof LEVELS) =>
    (obj: object, msg: string): void => {
      try {
        logger[level](obj, msg);
      } catch (err) {
        try {
          (fallback ??= jsonLogger())[level]({ ...obj, loggerError: err instanceof Error ? err.message : String(err) }, msg);
        } catch {
          // stderr failed as well: nothing more to try, and the caller goes on
        }
      }
    };
  return { debug: guard('debug'), info: guard('info'), warn: guard('warn'), error: guard('error') };
}

/** A logger that writes nothing (tests, or apps that watch the queue's events instead). */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * An error as log fields: pino's convention, the Error itself under `err`, so pino's own
 * serializer writes its type, message, code and stack. Anything else thrown becomes `{ message }`.
 */
export function errorFields(err: unknown): LogFields {
  // Never throws: a sink may reject with anything, and this runs inside the catch that
  // handles it. `instanceof` on a revoked Proxy throws, and so does String() of an object
  // without a usable toString (Object.create(null)) — before, that threw out of the retry
  // logic with the batch still marked in flight (a sink rejecting with Object.create(null)
  // became an unhandled rejection and its pairs were never written again).
  try {
    if (err instanceof Error) return { err };
  } catch {
    return { err: { message: 'a value that cannot be inspected (a revoked Proxy?)' } };
  }
  return { err: { message: describeThrown(err) } };
}

/** What was thrown, as text (an Error's message), whatever it is; never throws. */
export function describeThrown(err: unknown): string {
  try {
    return err instanceof Error ? err.message : String(err);
  } catch {
    return `a ${err === null ? 'null' : typeof err} that cannot be turned into a string`;
  }
}

/** JSON.stringify replacer of the default logger: an Error as `{ type, message, code }` (one line, no stack). */
function errorsAsFields(_key: string, value: unknown): unknown {
  let isError: boolean;
  try {
    isError = value instanceof Error;
  } catch {
    return '[a value that cannot be inspected]'; // a revoked Proxy: the rest of the line still goes out
  }
  if (!isError) return value;
  const error = value as Error;
  const code = (error as NodeJS.ErrnoException).code;
  return code === undefined ? { type: error.name, message: error.message } : { type: error.name, message: error.message, code };
}
