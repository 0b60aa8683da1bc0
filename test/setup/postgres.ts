// vitest globalSetup: one real PostgreSQL per test run, shared by every test file (each file
// works in its own database or schema); stopped and removed when the run ends.
import type { TestProject } from 'vitest/node';
import { startPostgres } from '../../faults/postgres-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startPostgres();
  project.provide('postgresUrl', server.url);
  return () => server.stop();
}
