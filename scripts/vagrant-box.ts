#!/usr/bin/env -S npx tsx
/**
 * npm run vagrant:box: the libvirt box "app-balloon/local" made from the checkout's
 * VM image (cached by its inputs), added to Vagrant, plus the checkout packed for
 * the Vagrantfile's provisioning and the ssh key the Vagrantfile logs in with.
 */
import { Command } from 'commander';
import { addBox, buildBox, localBoxName, packProject } from '../vagrant/box.js';
import { buildGrubBox, grubBoxName } from '../vagrant/grub-box.js';
import { runCli } from '../src/harness/cli.js';
import { step } from '../src/harness/log.js';
import { ensureSshKey } from '../src/harness/vm-state.js';

const program = new Command('vagrant:box')
  .description(`Build the Vagrant box ${localBoxName} (libvirt, qcow2) from the VM image of \`npm run vm:image\`, add it, and pack the checkout for provisioning.`)
  .option('--force', 'run `vagrant box add` even when this box is already added')
  .option('--no-add', 'only build the .box file')
  .option('--no-pack', 'do not pack the checkout (the VM then has no /opt/app-balloon)')
  .option('--grub', `build and add ${grubBoxName} instead: Debian 12 booted by GRUB, user vagrant (a stand-in for a public box, to try the kernel-package path)`)
  .option('--json', 'print the result as JSON on stdout');

await runCli('vagrant:box', async () => {
  const opts = program.parse().opts<{ force?: boolean; add: boolean; pack: boolean; grub?: boolean; json?: boolean }>();
  await ensureSshKey();
  const name = opts.grub === true ? grubBoxName : localBoxName;
  const { artefact, hit, seconds } = opts.grub === true ? await buildGrubBox() : await buildBox();
  step('vagrant:box', `${hit ? 'cache hit' : 'built'}: ${artefact.box} (key ${artefact.key.slice(0, 12)}) in ${seconds.toFixed(1)} s`);
  const added = opts.add ? await addBox(artefact, opts.force === true, name) : { added: false };
  if (opts.add) step('vagrant:box', added.added ? `added as ${name}` : `${name} is already this box`);
  const packed = opts.pack ? await packProject() : undefined;
  if (packed) step('vagrant:box', `checkout packed: ${packed.archive} (${(packed.bytes / 2 ** 20).toFixed(1)} MiB)`);
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ ...artefact, name, cacheHit: hit, seconds, added: added.added, project: packed }, null, 2)}\n`);
    return;
  }
  process.stdout.write(`${artefact.box}\n`);
});
