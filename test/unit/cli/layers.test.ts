// The CLI is the top layer: nothing else in src/ imports from src/cli/.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../../src/harness/paths.js';

/** Imports of src/cli/ from below it that are known and still to be moved (file -> module). */
const KNOWN: Record<string, string> = {
  // runSimulate is the MIN bound's engine too: it belongs out of src/cli/simulate.ts.
  'src/experiment/bound.ts': '../cli/simulate.js',
};

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return sources(file);
    return /\.(ts|mts)$/.test(entry.name) ? [file] : [];
  });
}

describe('layers', () => {
  it('no module outside src/cli imports the CLI (experiment, report, agent, kernel, …)', () => {
    const src = path.join(projectRoot, 'src');
    const offenders: string[] = [];
    for (const file of sources(src)) {
      const relative = path.relative(projectRoot, file);
      if (relative.startsWith(`src${path.sep}cli${path.sep}`)) continue;
      for (const m of readFileSync(file, 'utf8').matchAll(/\bfrom\s+'([^']+)'|\bimport\(\s*'([^']+)'\s*\)/g)) {
        const spec = m[1] ?? m[2]!;
        if (!spec.startsWith('.')) continue;
        const target = path.relative(src, path.resolve(path.dirname(file), spec));
        if (target.startsWith(`cli${path.sep}`) && KNOWN[relative] !== spec) offenders.push(`${relative} -> ${spec}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
