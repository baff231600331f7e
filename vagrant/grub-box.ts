/**
 * A stand-in for a public Debian 12 box, built here because this machine
 * downloads no boxes: Debian's own kernel booted by GRUB from a partitioned
 * disk, systemd, ifupdown with DHCP on eth0, and a `vagrant` user with
 * passwordless sudo that logs in with Vagrant's insecure key (which Vagrant
 * replaces on the first `vagrant up`), no Node.js. The Vagrantfile's path for
 * any box other than the local one (install the kernel package, make it GRUB's
 * default, reboot) is tested on it.
 *
 * No loop device and no mount: the ext4 file system is written into the
 * partition with `mke2fs -d -E offset`, GRUB's boot.img into the MBR and its
 * core.img (made by grub-mkimage) into the gap after it, where boot.img looks
 * for it by default.
 */
import { createHash } from 'node:crypto';
import { chmod, cp, mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { KeyedCache } from '../src/harness/cache.js';
import { HarnessError } from '../src/harness/errors.js';
import { requireTools, run } from '../src/harness/exec.js';
import { keyOf } from '../src/harness/hash.js';
import { step } from '../src/harness/log.js';
import { cacheRoot } from '../src/harness/paths.js';
import { debootstrap } from '../src/harness/vm-image.js';
import { packBox, type BoxArtefact } from './box.js';

export const grubBoxName = 'app-balloon/debian12-grub';

const recipeVersion = '1';

/** What a minimal public Debian 12 box has (their Depends come along; no Recommends). */
export const grubBoxPackages = [
  'systemd-sysv', 'udev', 'linux-image-amd64', 'initramfs-tools', 'grub-pc-bin', 'grub2-common',
  'openssh-server', 'sudo', 'ifupdown', 'isc-dhcp-client', 'netbase', 'procps', 'iproute2', 'kmod', 'util-linux', 'e2fsprogs',
];

const diskMiB = 8192;
const partitionStartSectors = 2048;

/** The box's own Vagrantfile: what a public box's says (user vagrant, its insecure key). */
export const grubBoxVagrantfile = `# app-balloon/debian12-grub: Debian 12 booted by GRUB, user vagrant (a stand-in for a public box).
Vagrant.configure('2') do |config|
  config.vm.synced_folder '.', '/vagrant', disabled: true
  config.vm.provider :libvirt do |lv|
    lv.disk_bus = 'virtio'
  end
end
`;

/** Where Debian's vagrant package keeps Vagrant's insecure public key. */
async function insecurePublicKey(): Promise<string> {
  const gems = '/usr/share/rubygems-integration/all/gems';
  for (const dir of (await readdir(gems).catch(() => [] as string[])).filter((d) => /^vagrant-\d/.test(d)).sort().reverse()) {
    const text = await readFile(path.join(gems, dir, 'keys', 'vagrant.pub'), 'utf8').catch(() => '');
    if (text.trim() !== '') return text.trim();
  }
  throw new HarnessError('vagrant:box: Vagrant\'s insecure public key (keys/vagrant.pub) is not where Debian\'s vagrant package puts it.', 'apt-get install vagrant');
}

/** A UUID made from the key, so that the same inputs give the same disk. */
function uuidFrom(key: string): string {
  const h = createHash('sha256').update(`root-fs:${key}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function guestConfig(uuid: string, kernel: string, initrd: string): Record<string, string> {
  const cmdline = 'console=ttyS0,115200n8 net.ifnames=0 biosdevname=0';
  return {
    'etc/hostname': 'debian12-grub\n',
    'etc/hosts': '127.0.0.1\tlocalhost\n127.0.1.1\tdebian12-grub\n::1\tlocalhost ip6-localhost ip6-loopback\n',
    'etc/fstab': `UUID=${uuid} / ext4 errors=remount-ro 0 1\n`,
    'etc/network/interfaces': 'source /etc/network/interfaces.d/*\n\nauto lo\niface lo inet loopback\n\nallow-hotplug eth0\niface eth0 inet dhcp\n',
    'etc/default/grub': [
      'GRUB_DEFAULT=0',
      'GRUB_TIMEOUT=1',
      'GRUB_DISTRIBUTOR=Debian',
      'GRUB_CMDLINE_LINUX_DEFAULT=""',
      `GRUB_CMDLINE_LINUX="${cmdline}"`,
      'GRUB_TERMINAL=serial',
      'GRUB_SERIAL_COMMAND="serial --unit=0 --speed=115200"',
      '',
    ].join('\n'),
    // What update-grub would write for the one kernel; it cannot run outside the guest (grub-probe).
    'boot/grub/grub.cfg': [
      'serial --unit=0 --speed=115200',
      'terminal_input serial',
      'terminal_output serial',
      'set timeout=1',
      'set default=0',
      "menuentry 'Debian GNU/Linux' {",
      '\tinsmod part_msdos',
      '\tinsmod ext2',
      `\tsearch --no-floppy --fs-uuid --set=root ${uuid}`,
      `\tlinux /boot/${kernel} root=UUID=${uuid} ro ${cmdline}`,
      `\tinitrd /boot/${initrd}`,
      '}',
      '',
    ].join('\n'),
    'etc/sudoers.d/vagrant': 'vagrant ALL=(ALL) NOPASSWD: ALL\n',
  };
}

/** Builds (or finds in the cache) the .box file. Needs root (debootstrap). */
export async function buildGrubBox(): Promise<{ artefact: BoxArtefact; hit: boolean; seconds: number }> {
  const started = Date.now();
  await requireTools('vagrant:box', [
    { command: 'debootstrap', debianPackage: 'debootstrap' },
    { command: 'mke2fs', debianPackage: 'e2fsprogs' },
    { command: 'sfdisk', debianPackage: 'fdisk' },
    // GRUB's images and modules come from the guest's grub-pc-bin; only the tool is the host's.
    { command: 'grub-mkimage', debianPackage: 'grub-common' },
    { command: 'qemu-img', debianPackage: 'qemu-utils' },
  ]);
  if (process.getuid?.() !== 0) throw new HarnessError('vagrant:box: the GRUB box is made with debootstrap, which must run as root.', 'Run it as root.');
  const insecureKey = await insecurePublicKey();
  const key = keyOf({ recipe: recipeVersion, packages: grubBoxPackages.join(','), insecureKey, diskMiB: String(diskMiB), vagrantfile: grubBoxVagrantfile });
  const boxes = new KeyedCache<BoxArtefact>(path.join(cacheRoot(), 'vagrant-boxes'));
  const { meta, hit } = await boxes.getOrBuild(key, async (tmp) => {
    const root = path.join(tmp, 'root');
    await debootstrap('vagrant:box', root, grubBoxPackages);
    const boot = await readdir(path.join(root, 'boot'));
    const kernel = boot.find((f) => f.startsWith('vmlinuz-'));
    const initrd = boot.find((f) => f.startsWith('initrd.img-'));
    if (kernel === undefined || initrd === undefined) throw new HarnessError(`vagrant:box: the Debian root has no kernel and initramfs in /boot (found: ${boot.join(', ')}).`, 'Check the debootstrap of linux-image-amd64 and initramfs-tools.');
    const uuid = uuidFrom(key);
    step('vagrant:box', `configuring the GRUB box (${kernel}, root UUID ${uuid})`);
    for (const [rel, content] of Object.entries(guestConfig(uuid, kernel, initrd))) {
      await mkdir(path.dirname(path.join(root, rel)), { recursive: true });
      await writeFile(path.join(root, rel), content);
    }
    await chmod(path.join(root, 'etc/sudoers.d/vagrant'), 0o440);
    await cp(path.join(root, 'usr/lib/grub/i386-pc'), path.join(root, 'boot/grub/i386-pc'), { recursive: true });
    await run('chroot', [root, 'useradd', '--create-home', '--shell', '/bin/bash', '--groups', 'sudo', 'vagrant']);
    const ssh = path.join(root, 'home/vagrant/.ssh');
    await mkdir(ssh, { recursive: true });
    await writeFile(path.join(ssh, 'authorized_keys'), `${insecureKey}\n`);
    await chmod(ssh, 0o700);
    await chmod(path.join(ssh, 'authorized_keys'), 0o600);
    await run('chroot', [root, 'chown', '-R', 'vagrant:vagrant', '/home/vagrant/.ssh']);
    // Each box gets its own machine id at first boot.
    await writeFile(path.join(root, 'etc/machine-id'), '');

    step('vagrant:box', `writing a ${diskMiB} MiB disk: MBR partition table, ext4 at sector ${partitionStartSectors}, GRUB`);
    const disk = path.join(tmp, 'disk.raw');
    await run('truncate', ['-s', `${diskMiB}M`, disk]);
    await run('sfdisk', ['-q', disk], { input: `label: dos\nstart=${partitionStartSectors}, type=83, bootable\n` });
    const offset = partitionStartSectors * 512;
    await run('mke2fs', ['-q', '-t', 'ext4', '-U', uuid, '-L', 'root', '-d', root, '-E', `offset=${offset}`, '-F', disk, `${diskMiB * 1024 - offset / 1024}k`]);
    const core = path.join(tmp, 'core.img');
    await run('grub-mkimage', ['-d', path.join(root, 'usr/lib/grub/i386-pc'), '-O', 'i386-pc', '-o', core, '-p', '(hd0,msdos1)/boot/grub', 'biosdisk', 'part_msdos', 'ext2']);
    const coreBytes = (await stat(core)).size;
    if (coreBytes > offset - 512) throw new HarnessError(`vagrant:box: GRUB's core.img (${coreBytes} bytes) does not fit before the partition.`, 'Start the partition later.');
    // boot.img's code (not the partition table), then core.img from sector 1, where boot.img looks by default.
    await run('dd', [`if=${path.join(root, 'usr/lib/grub/i386-pc/boot.img')}`, `of=${disk}`, 'bs=440', 'count=1', 'conv=notrunc', 'status=none']);
    await run('dd', [`if=${core}`, `of=${disk}`, 'bs=512', 'seek=1', 'conv=notrunc', 'status=none']);
    await rm(root, { recursive: true, force: true });

    step('vagrant:box', 'converting the disk to qcow2');
    await run('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', disk, path.join(tmp, 'box.img')]);
    await rm(disk);
    await rm(core);
    const metadata = await packBox(tmp, 'app-balloon-grub.box', grubBoxVagrantfile, diskMiB * 2 ** 20);
    return { key, imageKey: key, box: path.join(boxes.entryDir(key), 'app-balloon-grub.box'), virtualSize: metadata.virtual_size, builtAt: new Date().toISOString() };
  });
  return { artefact: meta, hit, seconds: (Date.now() - started) / 1000 };
}
