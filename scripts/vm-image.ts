#!/usr/bin/env -S npx tsx
/** npm run vm:image: builds the guest image (cached by its inputs) and records it for vm:up. */
import { Command } from 'commander';
import { runCli } from '../src/harness/cli.js';
import { step } from '../src/harness/log.js';
import { buildImage, recordImage } from '../src/harness/vm-image.js';
import { imageStateFile } from '../src/harness/vm-state.js';

const program = new Command('vm:image')
  .description("Build the VM's root file system: Debian 12 (debootstrap) + this host's Node.js + the balloon init, as an ext4 image.")
  .option('--json', 'print the image record as JSON on stdout');

await runCli('vm:image', async () => {
  const opts = program.parse().opts<{ json?: boolean }>();
  const { artefact, hit, seconds } = await buildImage();
  await recordImage(imageStateFile(), artefact);
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ ...artefact, cacheHit: hit, seconds }, null, 2)}\n`);
    return;
  }
  step('vm:image', `${hit ? 'cache hit' : 'built'}: Debian ${artefact.suite} with Node.js ${artefact.nodeVersion}, key ${artefact.key.slice(0, 12)}, in ${seconds.toFixed(1)} s`);
  process.stdout.write(`${artefact.image}\n`);
});
