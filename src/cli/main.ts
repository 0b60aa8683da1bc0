// Runs provq: every outcome becomes an exit code (0 ok, 1 failure, 2 usage), and every
// error one line on stderr that says what to do, never a stack.
import { CommanderError } from 'commander';
import { UsageError } from '../errors.js';
import { processIo, type Io } from './io.js';
import { buildProgram, fullName, type UsageProblem } from './program.js';

export async function main(argv: string[], io: Io = processIo): Promise<number> {
  let code = 0;
  let usage: UsageProblem | null = null;
  const program = buildProgram(
    io,
    (c) => (code = c),
    (p) => (usage ??= p),
  );
  try {
    if (argv.length === 0) throw new UsageError('no command given: spill, stats or demo (see provq --help)');
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.exitCode === 0) return 0; // --help, --version
      io.err(`provq: ${describeUsage(usage, err)}`);
      return 2;
    }
    io.err(`provq: ${oneLine(err instanceof Error ? err.message : String(err))}`);
    return err instanceof UsageError ? 2 : 1;
  }
}

function describeUsage(usage: UsageProblem | null, err: CommanderError): string {
  if (!usage) return oneLine(err.message.replace(/^error: /, ''));
  const name = fullName(usage.command);
  if (usage.message === null) {
    const subs = usage.command.commands.map((c) => c.name()).filter((n) => n !== 'help');
    return `${usage.command.name()} needs a command: ${subs.join(', ')} (see ${name} --help)`;
  }
  return `${oneLine(usage.message.replace(/^error: /, ''))} (see ${name} --help)`;
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').trim();
}
