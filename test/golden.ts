/**
 * Golden files: one per command's text output, `test/golden/<command>.txt`, compared exactly. After a deliberate
 * change of the output, regenerate them with `UPDATE_GOLDEN=1 npx jest test/<file>` and review the diff.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const GOLDEN_DIR = join(__dirname, 'golden');

/** Checks `lines` (one command's output) against `test/golden/<name>.txt`, or writes it with UPDATE_GOLDEN=1. */
export function expectGolden(name: string, lines: readonly string[]): void {
  const file = join(GOLDEN_DIR, `${name}.txt`);
  const text = `${lines.join('\n')}\n`;
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(GOLDEN_DIR, { recursive: true });
    writeFileSync(file, text);
    return;
  }
  if (!existsSync(file)) throw new Error(`no golden file ${file}: run with UPDATE_GOLDEN=1 to write it`);
  expect(text).toBe(readFileSync(file, 'utf8'));
}
