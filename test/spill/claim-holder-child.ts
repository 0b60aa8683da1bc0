// Child for claims-across-settings.test.ts: takes the claim on one spill file with the
// claimStaleMs it is given, says so on stdout, and holds it until killed.
import { silentLogger } from '../../src/log.js';
import { claimSpillFile } from '../../src/spill/spill-claims.js';

const [dir, name, staleMs] = process.argv.slice(2) as [string, string, string];
const claim = await claimSpillFile(dir, name, { staleMs: Number(staleMs), logger: silentLogger });
process.stdout.write(claim ? 'held\n' : 'not held\n');
setInterval(() => {}, 60_000); // hold it (and keep refreshing) until killed
