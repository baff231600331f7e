#!/bin/sh
# Installs the patched kernel into a Debian box that boots through GRUB (run as root by the
# Vagrantfile's "kernel" provisioner; a "reboot" provisioner follows it). Safe to re-run.
#   BALLOON_KERNEL_DEB      the linux-image-<release> package, uploaded from the host
#                           (npm run kernel:build -- --deb)
#   BALLOON_KERNEL_RELEASE  its release, e.g. 5.10.223-balloon
# Installs the package (its postinst makes the initramfs and updates GRUB), makes that kernel
# GRUB's default even when the box has a newer one, and checks that the boot menu has it.
set -eu

say() { echo "app-balloon kernel: $*"; }
fail() { echo "app-balloon kernel: error: $*" >&2; exit 1; }

deb=${BALLOON_KERNEL_DEB:-}
release=${BALLOON_KERNEL_RELEASE:-}
[ -n "$release" ] || fail "BALLOON_KERNEL_RELEASE is not set (the Vagrantfile sets it from .vm/kernel-debs.json)"
[ -n "$deb" ] && [ -f "$deb" ] || fail "no kernel package at '${deb}' (run \`npm run kernel:build -- --deb\` on the host, then \`vagrant provision\`)"
command -v dpkg > /dev/null || fail "this box has no dpkg: the kernel package needs a Debian-based box"
command -v update-grub > /dev/null || fail "this box has no update-grub: the kernel must be made the boot default by GRUB (or use the local box, which libvirt boots directly)"

installed=$(dpkg-query -W -f='${Version}' "linux-image-$release" 2>/dev/null || true)
wanted=$(dpkg-deb -f "$deb" Version)
if [ "$installed" = "$wanted" ] && [ -f "/boot/vmlinuz-$release" ]; then
	say "linux-image-$release $wanted is installed"
else
	say "installing linux-image-$release $wanted${installed:+ (was $installed)}"
	DEBIAN_FRONTEND=noninteractive dpkg -i "$deb"
fi
rm -f "$deb"
[ -f "/boot/vmlinuz-$release" ] || fail "/boot/vmlinuz-$release is missing after installing the package"

# The default entry, by the ids grub-mkconfig gives its menu entries: Debian's puts every kernel
# under "Advanced options" (a submenu), so "<submenu id>><entry id>" names this kernel even when
# the box has a newer one, which would otherwise be first.
cfg=/boot/grub/grub.cfg
update-grub 2> /dev/null
submenu=$(sed -n "s/^submenu .*\$menuentry_id_option '\([^']*\)'.*/\1/p" "$cfg" | head -n 1)
entry=$(sed -n "s/^[[:space:]]*menuentry .*\$menuentry_id_option '\(gnulinux-$release-advanced-[^']*\)'.*/\1/p" "$cfg" | head -n 1)
[ -n "$submenu" ] && [ -n "$entry" ] || fail "$cfg has no advanced entry for Linux $release after update-grub"
mkdir -p /etc/default/grub.d
cat > /etc/default/grub.d/app-balloon.cfg <<EOF
# app-balloon: boot the patched kernel (vagrant/install-kernel.sh)
GRUB_DEFAULT="$submenu>$entry"
EOF
update-grub 2> /dev/null
grep -q "set default=\"$submenu>$entry\"" "$cfg" || fail "$cfg does not make $submenu>$entry the default"
say "GRUB's default: $submenu>$entry"
case "$(uname -r)" in
"$release") say "running $release already" ;;
*) say "running $(uname -r); the reboot that follows starts $release" ;;
esac
