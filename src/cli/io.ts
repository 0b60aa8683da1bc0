// Where a command writes: stdout for results, stderr for progress and errors.
export interface Io {
  out(line: string): void;
  err(line: string): void;
  /** True when stderr is a terminal: a progress bar there, plain lines otherwise. */
  interactive: boolean;
  /** The stream a progress bar draws on. */
  progress: NodeJS.WritableStream;
}

export const processIo: Io = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  interactive: process.stderr.isTTY === true,
  progress: process.stderr,
};
