#!/usr/bin/env node
// The `balloon` command: runs src/cli/main.ts from the sources through tsx, a
// runtime dependency (package.json "dependencies"), so that a production
// install (npm ci --omit=dev) runs every command and the VM, which shares this
// checkout, runs exactly the sources it sees.
let register;
try {
  ({ register } = await import('tsx/esm/api'));
} catch (err) {
  process.stderr.write(
    `balloon: cannot load tsx, which runs the TypeScript sources (${err instanceof Error ? err.message.split('\n')[0] : String(err)}); ` +
      `run \`npm ci\` (or \`npm ci --omit=dev\`) in ${new URL('..', import.meta.url).pathname}\n`,
  );
  process.exit(1);
}
register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
