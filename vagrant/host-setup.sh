#!/bin/sh
# One-time host set-up for running libvirtd without Debian's libvirt-daemon-system package
# (which would pull in systemd): the account libvirt's QEMU driver resolves at start-up, even
# when qemu.conf runs QEMU as root, and the directories libvirtd writes to. Idempotent; as root.
# With libvirt-daemon-system installed, this finds everything in place and does nothing.
set -eu
if ! getent group libvirt-qemu > /dev/null; then
	groupadd --system libvirt-qemu
	echo "host-setup: created group libvirt-qemu"
fi
if ! getent passwd libvirt-qemu > /dev/null; then
	useradd --system --gid libvirt-qemu --home-dir /var/lib/libvirt --no-create-home --shell /usr/sbin/nologin libvirt-qemu
	echo "host-setup: created user libvirt-qemu"
fi
mkdir -p /var/lib/libvirt /var/log/libvirt/qemu /var/cache/libvirt
