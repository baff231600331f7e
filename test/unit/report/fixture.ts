/** The committed results directory the report tests render (copied to a temporary directory first). */
import { cpSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../../support/temp-dir.js';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const FIXTURE_DIR = path.join(root, 'test/fixtures/results/2025-01-15T10-00-00Z');

/** A fresh copy of the fixture, so a report never lands in the checkout. */
export function fixtureCopy(prefix: string): string {
  const tmp = tempDir(prefix);
  const dir = path.join(tmp, '2025-01-15T10-00-00Z');
  cpSync(FIXTURE_DIR, dir, { recursive: true });
  return dir;
}
