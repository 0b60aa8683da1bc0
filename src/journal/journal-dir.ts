// Where a queue built on a spill dir keeps its journal by default: beside it, `<spillDir>-journal`.
// The same directory however the spill dir is written: `spill/` (a shell's tab completion)
// or `./spill` name `spill-journal`, never `spill/-journal` inside the spill dir.
import { normalize, sep } from 'node:path';

export function journalDirBeside(spillDir: string): string {
  const trimmed = normalize(spillDir).replace(/[\\/]+$/, '');
  return `${trimmed === '' ? sep : trimmed}-journal`;
}
