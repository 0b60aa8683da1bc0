// Structured logs: one JSON object a line, through an injectable logger in pino's shape
// (fields first, message second), so `pino()` or any pino-compatible logger works as is.

export type LogFields = Record<string, unknown>;

/** pino's calling convention: `logger.warn({ file, pairs }, 'what happened')`. */
export interface Logger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

const LEVELS = { debug: 20, info: 30, warn: 40, error: 50 } as const;

/**
 * Writes pino-style lines, `{"level":40,"time":…,"name":"provenance-queue",…fields,"msg":…}`,
 * to a stream (stderr by default). `debug` is dropped unless `debug` is true.
 */
export function jsonLogger(
  write: (line: string) => void = (l) => process.stderr.write(l),
  opts: { debug?: boolean } = {},
): Logger {
  const emit = (level: keyof typeof LEVELS) => (obj: object, msg: string) => {
    write(`${JSON.stringify({ level: LEVELS[level], time: Date.now(), name: 'provenance-queue', ...obj, msg })}\n`);
  };
  return { debug: opts.debug ? emit('debug') : () => {}, info: emit('info'), warn: emit('warn'), error: emit('error') };
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** An error as log fields: pino's `err` key (message, code, name), without a stack. */
export function errorFields(err: unknown): LogFields {
  if (err instanceof Error) {
    return { err: { type: err.name, message: err.message, code: (err as NodeJS.ErrnoException).code } };
  }
  return { err: { message: String(err) } };
}
