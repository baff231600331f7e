#!/bin/sh
# Provisioning of the app-balloon Vagrant VM (run as root by `vagrant up` and `vagrant provision`).
# Safe to re-run: every step checks or resets its own state.
#   - the running kernel is the patched one (uname -r ends in -balloon, /sys/kernel/mm/balloon)
#   - swap is on, on the second disk (/dev/vdb)
#   - transparent huge pages: madvise, as the experiments expect
#   - the checkout (packed by `npm run vagrant:box`) is unpacked in /opt/app-balloon
set -eu

say() { echo "app-balloon provision: $*"; }
fail() { echo "app-balloon provision: error: $*" >&2; exit 1; }

release=$(uname -r)
case "$release" in
*-balloon) say "kernel $release" ;;
*) fail "the running kernel is $release, not the patched one (-balloon). With the local box, libvirt boots the bzImage of \`npm run kernel:build\`; other boxes get the package of \`npm run kernel:build -- --deb\` from the kernel provisioner, then a reboot (see README.md, Vagrant)." ;;
esac
[ -d /sys/kernel/mm/balloon ] || fail "/sys/kernel/mm/balloon is missing: the kernel lacks the balloon patches"

# Swap on the second disk. The local box's init does this at boot; do it here when it did not.
swapdev=/dev/vdb
if [ -b "$swapdev" ]; then
	if ! awk 'NR > 1 {print $1}' /proc/swaps | grep -qx "$swapdev"; then
		mkswap -L balloon-swap "$swapdev" > /dev/null
		swapon "$swapdev"
	fi
	say "swap on $swapdev: $(awk '/SwapTotal/ {print $2}' /proc/meminfo) kB"
else
	fail "no swap disk at $swapdev"
fi

# Transparent huge pages: madvise (only regions that ask for them), like the harness's kernel default.
thp=/sys/kernel/mm/transparent_hugepage
if [ -d "$thp" ]; then
	echo madvise > "$thp/enabled"
	echo madvise > "$thp/defrag"
	say "THP: $(cat "$thp/enabled")"
fi

# The checkout, when `npm run vagrant:box` packed it (the guest downloads nothing).
archive=${BALLOON_PROJECT_ARCHIVE:-}
if [ -n "$archive" ] && [ -f "$archive" ]; then
	rm -rf /opt/app-balloon.new
	mkdir -p /opt/app-balloon.new
	tar -xzf "$archive" -C /opt/app-balloon.new
	rm -rf /opt/app-balloon
	mv /opt/app-balloon.new /opt/app-balloon
	rm -f "$archive"
	say "checkout unpacked in /opt/app-balloon ($(cat /opt/app-balloon/.vagrant-packed 2>/dev/null || echo 'unknown revision'))"
	# Node.js 20 or later: the box's own, else the host's binary packed with the checkout.
	packed_node=/opt/app-balloon/.vagrant-node/node
	major=$(node -p 'process.versions.node.split(".")[0]' 2> /dev/null || echo 0)
	if [ "$major" -lt 20 ] && [ -x "$packed_node" ]; then
		install -m 755 "$packed_node" /usr/local/bin/node
		say "installed Node.js $(/usr/local/bin/node --version) in /usr/local/bin (the host's; the box had ${major})"
	fi
	rm -rf /opt/app-balloon/.vagrant-node
	command -v node > /dev/null || fail "node is not on PATH"
	(cd /opt/app-balloon && node bin/balloon.js --help > /dev/null) || fail "node bin/balloon.js --help failed in /opt/app-balloon"
	say "node $(node --version); balloon CLI runs"
elif [ -d /opt/app-balloon ]; then
	say "keeping /opt/app-balloon (no new archive)"
else
	say "no checkout copied (run \`npm run vagrant:box\` on the host, then \`vagrant provision\`)"
fi
