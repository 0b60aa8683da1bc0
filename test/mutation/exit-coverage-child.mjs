// Harness for test/mutation/child-mutant-coverage.test.ts: a child that stands in for an
// instrumented one (a __stryker__ coverage object) and marks what it runs at exit — an app's
// 'exit' listener, signal-exit's callback — then ends as argv[2] says: exit, signal, natural.
import { onExit } from 'signal-exit';

globalThis.__stryker__ = { mutantCoverage: { static: {}, perTest: {} } };
const ran = globalThis.__stryker__.mutantCoverage.static;
ran.start = 1;
onExit((_code, signal) => {
  ran[signal ? 'signal-exit callback on a signal' : 'signal-exit callback at exit'] = 1;
});
process.on('exit', () => {
  ran['exit listener'] = 1;
});
const ending = process.argv[2];
if (ending === 'signal') {
  setTimeout(() => process.kill(process.pid, 'SIGTERM'), 20);
  setTimeout(() => {}, 10_000);
} else if (ending === 'exit') setTimeout(() => process.exit(3), 20);
