// Entry point of a workload child process (see workload.ts).
import { runWorkload, type WorkloadConfig } from './workload.js';

void runWorkload(JSON.parse(process.argv[2] ?? '{}') as WorkloadConfig);
