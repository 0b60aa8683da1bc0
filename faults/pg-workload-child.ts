// Entry point of a Postgres workload child process (see pg-workload.ts).
import { runPgWorkload, type PgWorkloadConfig } from './pg-workload.js';

void runPgWorkload(JSON.parse(process.argv[2] ?? '{}') as PgWorkloadConfig);
