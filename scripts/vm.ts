#!/usr/bin/env -S npx tsx
/** npm run vm:up | vm:down | vm:status | vm:ssh: shortcuts for `balloon vm up|down|status|ssh` (src/cli/vm.ts). */
import { main } from '../src/cli/main.js';

process.exitCode = await main(['vm', ...process.argv.slice(2)]);
