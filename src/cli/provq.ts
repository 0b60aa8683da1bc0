#!/usr/bin/env node
// provq: inspect and repair provenance spill directories and stores. Exit codes: 0 ok, 1 failure, 2 usage.
import { main } from './main.js';

// `provq ... | head`, `2>&1 | head`: a closed stdout or stderr must not crash a replay half-way.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
  });
}
process.exitCode = await main(process.argv.slice(2));
