#!/usr/bin/env node
// The `balloon` command: runs src/cli/main.ts through tsx (a devDependency of this checkout).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
