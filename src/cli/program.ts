// The provq commands as commander sees them: names, options, help text. Parsing only; each
// command checks its options with zod (args.ts) and does its work in commands/.
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { demoCommand } from './commands/demo.js';
import { spillReplayCommand } from './commands/spill-replay.js';
import { spillRetryCommand } from './commands/spill-retry.js';
import { spillStatusCommand } from './commands/spill-status.js';
import { statsCommand } from './commands/stats.js';
import type { Io } from './io.js';

type Handler = (raw: unknown, io: Io) => Promise<number>;

/** Where commander's own complaints end up, with the command they concern. */
export interface UsageProblem {
  command: Command;
  message: string | null; // null: the command was given without a subcommand
}

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

export function buildProgram(io: Io, onExitCode: (code: number) => void, onUsage: (p: UsageProblem) => void): Command {
  const run = (handler: Handler) => async (...a: unknown[]) => {
    const cmd = a.at(-1) as Command;
    const raw = { ...cmd.opts(), ...(cmd.registeredArguments.length ? { file: cmd.processedArgs[0] } : {}) };
    onExitCode(await handler(raw, io));
  };
  // Settings made before .command() are inherited by every subcommand.
  const program = new Command('provq')
    .description('Inspect and repair provenance-queue spill directories and stores.\nExit codes: 0 ok, 1 failure, 2 usage.')
    .version(version)
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()) });

  const spill = program.command('spill').description('the spill directory: status, replay, retry');
  spill
    .command('status')
    .description('pending files, pairs and bytes, oldest age, quarantined files and why, claims held')
    .option('--store <path>', 'a store directory (its spill dir is <path>/provenance-overflow)')
    .option('--dir <dir>', 'a spill directory')
    .option('--postgres <url>', 'a Postgres store (with --dir: this host\'s spill dir)')
    .option('--schema <name>', 'the Postgres store\'s schema (default provq)')
    .option('--json', 'print one JSON object')
    .action(run(spillStatusCommand));
  spill
    .command('replay')
    .description('apply every pending spill file to the store now, oldest first; exit 1 if anything was quarantined')
    .option('--store <path>', 'the LMDB store to apply to')
    .option('--postgres <url>', 'the Postgres store to apply to (needs --dir)')
    .option('--schema <name>', 'the Postgres store\'s schema (default provq)')
    .option('--dir <dir>', 'the spill directory (default <store>/provenance-overflow; with --postgres, this host\'s spill dir)')
    .action(run(spillReplayCommand));
  spill
    .command('retry')
    .description('put a fixed quarantined file back in line; --salvage puts back only its valid lines')
    .argument('<file>', 'a quarantined file, <name>.failed-<ms>.jsonl')
    .option('--salvage', 'valid lines to a new pending file; bad lines stay quarantined')
    .option('--store <path>', 'apply what was put back to this store now')
    .option('--postgres <url>', 'apply what was put back to this Postgres store now')
    .option('--schema <name>', 'the Postgres store\'s schema (default provq)')
    .action(run(spillRetryCommand));
  program
    .command('stats')
    .description('records, entries, per-record history')
    .option('--store <path>', 'the store directory')
    .option('--postgres <url>', 'a Postgres store instead')
    .option('--schema <name>', 'the Postgres store\'s schema (default provq)')
    .option('--dir <dir>', 'with --postgres: this host\'s spill dir (accepted for symmetry; stats reads only the database)')
    .option('--record <id>', 'one record with its full provenance, oldest first')
    .option('--json', 'print one JSON object')
    .action(run(statsCommand));
  program
    .command('demo')
    .description('the main job on an embedded store (what npm start runs)')
    .option('--store <path>', 'where the demo store lives', './.demo-store')
    .action(run(demoCommand));

  forEachCommand(program, (cmd) =>
    cmd.configureOutput({
      outputError: (message) => onUsage({ command: cmd, message }),
      // Only a command given without its subcommand writes help to stderr.
      writeErr: () => onUsage({ command: cmd, message: null }),
    }),
  );
  return program;
}

function forEachCommand(cmd: Command, f: (c: Command) => void): void {
  f(cmd);
  for (const sub of cmd.commands) forEachCommand(sub, f);
}

/** `provq spill`, for messages. */
export function fullName(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}
