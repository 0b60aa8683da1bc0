// Structured logs: one JSON object a line, through an injectable logger.

export type LogFields = Record<string, unknown>;

export interface Logger {
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

/** Writes `{"level","time","msg",...fields}` lines to a stream (stderr by default). */
export function jsonLogger(write: (line: string) => void = (l) => process.stderr.write(l)): Logger {
  const emit = (level: string) => (msg: string, fields?: LogFields) => {
    write(`${JSON.stringify({ level, time: new Date().toISOString(), name: 'provenance-queue', msg, ...fields })}\n`);
  };
  return { info: emit('info'), warn: emit('warn'), error: emit('error') };
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };

/** Logs an error object as fields without a stack (stacks go to `stack` only when asked). */
export function errorFields(err: unknown): LogFields {
  if (err instanceof Error) return { error: err.message, code: (err as NodeJS.ErrnoException).code };
  return { error: String(err) };
}
