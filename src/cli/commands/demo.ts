// provq demo [--store PATH]: the main job on an embedded store (what npm start runs).
import { runDemo } from '../../demo/demo.js';
import { demoArgsSchema, parseArgs } from '../args.js';
import type { Io } from '../io.js';

export async function demoCommand(raw: unknown, _io: Io): Promise<number> {
  const args = parseArgs(demoArgsSchema, raw);
  await runDemo({ storePath: args.store });
  return 0;
}
