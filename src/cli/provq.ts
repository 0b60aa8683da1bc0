#!/usr/bin/env node
// provq: inspect and repair provenance spill directories and stores. Exit codes: 0 ok, 1 failure, 2 usage.
import { main } from './main.js';

// `provq ... | head`: a closed stdout must not crash a replay half-way.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
});
process.exitCode = await main(process.argv.slice(2));
