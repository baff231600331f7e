/**
 * Files the harness writes into the guest's root file system. They are part
 * of the image's cache key, so editing them rebuilds the image.
 */

/** Printed on the serial console when sshd accepts connections. */
export const readinessMarker = 'BALLOON-VM-READY';

/**
 * PID 1 of the VM. tini becomes PID 1 (it reaps orphans) and runs this script
 * again as its child, which mounts, configures the network and swap, installs
 * the ssh key given on the kernel command line, starts sshd and announces
 * readiness.
 */
export const initScript = `#!/bin/sh
# balloon-init: the whole boot of the balloon VM (no init system needed).
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
if [ "$$" = 1 ]; then
	exec /usr/bin/tini -- /sbin/balloon-init "$@"
fi
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mountpoint -q /dev || mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts -o gid=5,mode=620 devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -t tmpfs -o mode=755 tmpfs /run
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -o remount,rw /
echo balloon-vm > /proc/sys/kernel/hostname

# QEMU user networking: the guest is 10.0.2.15, QEMU's gateway 10.0.2.2.
ip link set lo up
ip link set eth0 up
ip addr add 10.0.2.15/24 dev eth0
ip route add default via 10.0.2.2

# The checkout's ssh key arrives on the kernel command line (balloon_key=BASE64).
key=
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	balloon_key=*) key="\${arg#balloon_key=}" ;;
	esac
done
mkdir -p -m 700 /root/.ssh
if [ -n "$key" ]; then
	echo "ssh-ed25519 $key app-balloon" > /root/.ssh/authorized_keys
	chmod 600 /root/.ssh/authorized_keys
fi

# The project checkout, when the host shares it (read-only virtio-9p).
mkdir -p /opt/app-balloon
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144 app-balloon /opt/app-balloon 2>/dev/null ||
	rmdir /opt/app-balloon

# Swap on the second virtual disk, made fresh at every boot.
if [ -b /dev/vdb ]; then
	mkswap -L balloon-swap /dev/vdb > /dev/null && swapon /dev/vdb
fi

mkdir -p -m 755 /run/sshd
/usr/sbin/sshd -D -e &
sshd=$!
tries=0
until grep -qE '^ *[0-9]+: [0-9A-F]+:0016 [0-9A-F]+:0000 0A' /proc/net/tcp /proc/net/tcp6 2>/dev/null; do
	tries=$((tries + 1))
	if [ $tries -gt 600 ]; then
		echo "balloon-init: sshd did not start listening" >&2
		break
	fi
	sleep 0.1
done
echo "${readinessMarker} kernel=$(uname -r) swap=$(awk '/SwapTotal/ {print $2}' /proc/meminfo)kB"
wait $sshd
echo "balloon-init: sshd exited; powering off"
/usr/local/sbin/balloon-poweroff
`;

/** Clean power-off without an init system: QEMU exits when the guest powers off. */
export const poweroffScript = `#!/bin/sh
# balloon-poweroff: flush, detach swap, remount read-only, power off.
sync
swapoff -a 2>/dev/null
mount -o remount,ro / 2>/dev/null
sync
echo o > /proc/sysrq-trigger
`;

export const sshdConfig = `# app-balloon: root by key only, no DNS lookups, quick logins.
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
UseDNS no
PrintMotd no
PrintLastLog no
AcceptEnv LANG LC_*
`;

export const fstab = `# app-balloon guest: the root disk; swap is enabled by balloon-init.
LABEL=balloon-root / ext4 defaults 0 1
`;

/** Everything that goes into the image, for the cache key. */
export const guestFiles: Readonly<Record<string, { content: string; mode: number }>> = {
  'sbin/balloon-init': { content: initScript, mode: 0o755 },
  'usr/local/sbin/balloon-poweroff': { content: poweroffScript, mode: 0o755 },
  'etc/ssh/sshd_config.d/app-balloon.conf': { content: sshdConfig, mode: 0o644 },
  'etc/fstab': { content: fstab, mode: 0o644 },
  'etc/hostname': { content: 'balloon-vm\n', mode: 0o644 },
};
