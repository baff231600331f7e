#!/usr/bin/env node
// Runs before `npm run demo` and `npm test` (pre-scripts), so that a fresh
// clone needs no other step: installs missing Debian packages (as root) and
// the npm dependencies when node_modules is missing or older than the lock.
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
execFileSync(path.join(root, 'scripts', 'install-deps.sh'), { stdio: 'inherit' });
const marker = path.join(root, 'node_modules', '.package-lock.json');
const lock = path.join(root, 'package-lock.json');
if (!existsSync(marker) || statSync(marker).mtimeMs < statSync(lock).mtimeMs) {
  console.error('ensure-deps: installing npm dependencies (npm ci)');
  execFileSync('npm', ['ci'], { cwd: root, stdio: 'inherit' });
}
