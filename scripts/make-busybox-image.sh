#!/usr/bin/env bash
# Make the busybox image the demo and tests use, offline: a root filesystem with Debian's
# busybox-static and its applet links, imported into the user's Podman storage.
# Usage: scripts/make-busybox-image.sh [IMAGE]   (default localhost/rcontainer/busybox:latest)
set -euo pipefail
image=${1:-localhost/rcontainer/busybox:latest}
if podman image exists "$image" 2>/dev/null; then
  exit 0
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/rootfs
mkdir -p "$root"/{bin,etc,proc,dev,sys,tmp,root,home,run,var/tmp,www}
cp /bin/busybox "$root/bin/busybox"
for applet in $("$root/bin/busybox" --list); do
  [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
done
mkdir -p "$root/usr"; ln -s ../bin "$root/usr/bin"; ln -s bin "$root/sbin"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
printf '<h1>hello from rcontainer</h1>\n' >"$root/www/index.html"
chmod 1777 "$root/tmp" "$root/var/tmp"
tar -C "$root" --numeric-owner --owner=0 --group=0 -cf "$work/rootfs.tar" .
podman import --quiet --change 'CMD ["/bin/sh"]' --change 'ENV PATH=/bin' \
  --message "busybox-static $(/bin/busybox | head -1 | awk '{print $2}')" "$work/rootfs.tar" "$image" >/dev/null
echo "$image"
