#!/usr/bin/env bash
# The Podman 5 test bed (issue 13): a Debian 13 (trixie) userland, made with
# `debootstrap --variant=minbase`, in which the whole test suite runs against Podman 5.x.
# RC_BED_SUITE=sid builds it from Debian unstable instead (Podman 5.8), cached separately.
#
# It is not a plain chroot: the kernel refuses an unprivileged user namespace to a process whose
# root is not its mount namespace's root, so rootless Podman fails in a chroot. The tree becomes
# the root of a private mount namespace (pivot_root), kept alive by a bind-mounted handle
# (ns/mnt) and entered with `nsenter --mount=`. Every mount of the bed lives inside that
# namespace; the host sees only the handle. Nothing here writes to or remounts /sys/fs/cgroup.
#
# Usage (as root):
#   scripts/bed.sh build [SRC]        make or update the cached tree, bring the namespace up; with
#                                     SRC (a checkout), also copy it in and make the test venv
#   scripts/bed.sh test SRC [ARGS]    copy SRC into the bed and run its test suite there as the
#                                     bed's test user (ARGS go to pytest)
#   scripts/bed.sh bench SRC OUT [ARGS]  copy SRC into the bed, run its benchmarks there as the
#                                     bed's test user (ARGS go to bench/run.py), write the
#                                     resulting BENCHMARKS.md to OUT on the host
#   scripts/bed.sh run CMD...         run CMD as root inside the bed (e.g. `run bash`)
#   scripts/bed.sh user CMD...        run CMD as the bed's test user
#   scripts/bed.sh version            the bed's Podman version
#   scripts/bed.sh teardown           stop every process of the bed (by PID), release the namespace
#   scripts/bed.sh rebuild            forget the cached tree and build it again
#
# The cache: /var/cache/rcontainer-bed/SUITE/ (RC_BED_CACHE to move it) holds root/ (the tree),
# ns/ (the namespace handle), base.stamp (written once debootstrap finished) and bed.stamp
# (written last, once packages, user and checks are done). A tree without its stamps is half
# made (a run killed halfway) and is rebuilt or re-provisioned; a changed package list or a
# changed bed.sh re-provisions it (apt-get install of the new list, existing packages stay).
set -euo pipefail
bed_here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/lib.sh
source "$bed_here/scripts/lib.sh"

BED_SUITE=${RC_BED_SUITE:-trixie}
BED_DIR=${RC_BED_CACHE:-/var/cache/rcontainer-bed}/$BED_SUITE
BED_ROOT=$BED_DIR/root
BED_NS=$BED_DIR/ns          # a private bind mount of itself: the handle lives in it
BED_HANDLE=$BED_NS/mnt      # the namespace handle (a bind mount of /proc/PID/ns/mnt)
BED_LOCK=$BED_DIR.lock
# The bed shares the host's kernel: its test user's uid and sub-ids must be unused on the host,
# or the bed's containers would be the host user's (same uid = same user to the kernel).
# Each bed has its own (so that tearing one down never stops another's processes). The uid lies
# above useradd's UID_MAX (60000) and the sub-ids far above where useradd and the other scripts
# here hand them out (100000 up, in steps of 65536), below 2^31 for tools that read ids signed.
case "$BED_SUITE" in
  trixie) bed_uid=61000 bed_subid=2000000000 ;;
  sid | unstable) bed_uid=61001 bed_subid=2000065536 ;;
  *) bed_uid=61002 bed_subid=2000131072 ;;
esac
BED_USER=${RC_BED_USER:-rctest}
BED_UID=${RC_BED_UID:-$bed_uid}
BED_SUBID=${RC_BED_SUBID:-$bed_subid}
BED_SUBID_COUNT=65536
BED_HOME=/home/$BED_USER
BED_SRC=$BED_HOME/rcontainer-src
BED_VENV=$BED_HOME/.cache/rcontainer-dev/venv
BASE_FORMAT=1  # bump to force a fresh debootstrap everywhere
# What the suite needs in the bed: the host's list (scripts/lib.sh) plus Podman 5's own parts
# (pasta, netavark, aardvark-dns and nftables: without the last two `kube play` and bridge
# networks fail with "netavark: nftables error: unable to execute nft") and what the bed itself
# uses (Python with venv, CA certificates for pip, ps).
BED_PACKAGES=("${DEB_PACKAGES[@]}" passt netavark aardvark-dns nftables python3 ca-certificates procps)

bed_say() { say "bed ($BED_SUITE): $*"; }

[ "$(id -u)" = 0 ] || die "scripts/bed.sh needs root (it makes mounts and a mount namespace)"

# Hold the bed's lock (one run per bed at a time). A caller that already holds it (test.sh)
# sets RC_BED_LOCKED=1. The lock is fd 9; every command run inside the bed gets it closed, so a
# lingering process there (Podman's conmon waits minutes) cannot keep it.
bed_lock() {
  [ "${RC_BED_LOCKED:-}" = 1 ] && return 0
  mkdir -p "$(dirname "$BED_LOCK")"
  exec 9>"$BED_LOCK"
  if ! flock -n 9; then
    bed_say "waiting for another run that uses this bed ($BED_LOCK)"
    flock 9
  fi
  export RC_BED_LOCKED=1
}

# The Debian mirror the host's apt uses for its own release (and its security mirror), read from
# /etc/apt/sources.list{,.d/*.list} (one-line form) and sources.list.d/*.sources (deb822).
host_apt_uri() {  # host_apt_uri SUITE -> first URI serving SUITE, if any
  local want=$1 f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    awk -v s="$want" '$1 == "deb" { for (i = 2; i < NF; i++) if ($i ~ /:\/\//) { if ($(i + 1) == s) { print $i; exit } ; break } }' "$f"
  done
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk -v s="$want" 'BEGIN { RS = ""; FS = "\n" }
      { uris = ""; ok = 0; deb = 0
        for (i = 1; i <= NF; i++) {
          if ($i ~ /^URIs:/) { uris = $i; sub(/^URIs:[ \t]*/, "", uris) }
          if ($i ~ /^Types:/ && $i ~ /[ \t]deb([ \t]|$)/) deb = 1
          if ($i ~ /^Suites:/) { n = split($i, w, /[ \t]+/); for (j = 2; j <= n; j++) if (w[j] == s) ok = 1 }
        }
        if (ok && deb && uris != "") { split(uris, u, /[ \t]+/); print u[1]; exit }
      }' "$f"
  done
}
bed_mirrors() {  # sets MIRROR and SECURITY_MIRROR
  local codename
  codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
  MIRROR=${RC_BED_MIRROR:-$(host_apt_uri "$codename" | head -1)}
  MIRROR=${MIRROR:-http://deb.debian.org/debian}
  SECURITY_MIRROR=$(host_apt_uri "$codename-security" | head -1)
  SECURITY_MIRROR=${SECURITY_MIRROR:-${MIRROR%/debian}/debian-security}
}

# The bed's uid and sub-id range must be unknown to the host.
check_ids() {
  local end=$((BED_SUBID + BED_SUBID_COUNT)) f name start count
  if getent passwd "$BED_UID" >/dev/null || getent group "$BED_UID" >/dev/null; then
    die "uid $BED_UID is a host user's or group's id; set RC_BED_UID to an unused id"
  fi
  if getent passwd | awk -F: -v a="$BED_SUBID" -v b="$end" '$3 >= a && $3 < b { found = 1 } END { exit !found }'; then
    die "a host user's uid lies in the bed's sub-id range $BED_SUBID-$((end - 1)); set RC_BED_SUBID"
  fi
  for f in /etc/subuid /etc/subgid; do
    [ -f "$f" ] || continue
    while IFS=: read -r name start count; do
      [[ "$start" =~ ^[0-9]+$ && "$count" =~ ^[0-9]+$ ]] || continue
      if [ "$start" -lt "$end" ] && [ $((start + count)) -gt "$BED_SUBID" ]; then
        die "host $f gives $name $start+$count, which overlaps the bed's sub-ids $BED_SUBID+$BED_SUBID_COUNT; set RC_BED_SUBID"
      fi
      if [ "$BED_UID" -ge "$start" ] && [ "$BED_UID" -lt $((start + count)) ]; then
        die "the bed's uid $BED_UID lies in $name's sub-ids ($f); set RC_BED_UID"
      fi
    done <"$f"
  done
}

# Unmount whatever a killed run may have left mounted under the bed's folder (deepest first).
release_mounts() {
  local m
  while read -r m; do
    [ -n "$m" ] && umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
  done < <(awk -v d="$BED_DIR/" '{ m = $5; gsub(/\\040/, " ", m) } m == substr(d, 1, length(d) - 1) || index(m, d) == 1 { print m }' /proc/self/mountinfo | sort -r)
}
mounts_left() { awk -v d="$BED_DIR" '{ m = $5 } m == d || index(m, d "/") == 1 { print m }' /proc/self/mountinfo; }

handle_mounted() { findmnt -rn --mountpoint "$BED_HANDLE" >/dev/null 2>&1; }

# Every live process of the bed: those in its mount namespace, and those of its test user's uid
# or sub-ids (rootless Podman's pause process, conmon and pasta run in namespaces of their own).
# Zombies are left out: PID 1 on these machines does not reap orphans.
bed_pids() {
  local ns="" p pid
  if handle_mounted; then ns="mnt:[$(stat -L -c %i "$BED_HANDLE")]"; fi
  ps -eo pid=,ruid=,euid=,stat= | awk -v u="$BED_UID" -v a="$BED_SUBID" -v b=$((BED_SUBID + BED_SUBID_COUNT)) \
    '$4 !~ /^Z/ && ($2 == u || $3 == u || ($2 >= a && $2 < b) || ($3 >= a && $3 < b)) { print $1 }'
  if [ -n "$ns" ]; then
    for p in /proc/[0-9]*; do
      pid=${p#/proc/}
      [ "$(readlink "$p/ns/mnt" 2>/dev/null)" = "$ns" ] || continue
      [ "$(awk '/^State:/ { print $2 }' "$p/status" 2>/dev/null)" = Z ] && continue
      echo "$pid"
    done
  fi
}

stop_bed_processes() {
  local pids
  for _ in 1 2 3; do  # stopping Podman's processes can start cleanup processes: look again
    mapfile -t pids < <(bed_pids | sort -un)
    [ ${#pids[@]} = 0 ] && return 0
    bed_say "stopping ${#pids[@]} process(es) by PID: ${pids[*]}"
    kill -TERM "${pids[@]}" 2>/dev/null || true
    for _ in $(seq 50); do
      mapfile -t pids < <(bed_pids | sort -un)
      [ ${#pids[@]} = 0 ] && break
      sleep 0.2
    done
    [ ${#pids[@]} = 0 ] && continue
    kill -KILL "${pids[@]}" 2>/dev/null || true
    sleep 0.5
  done
  mapfile -t pids < <(bed_pids | sort -un)
  [ ${#pids[@]} = 0 ] || bed_say "warning: still running after SIGKILL: ${pids[*]}"
}

teardown() {
  stop_bed_processes
  while handle_mounted; do umount "$BED_HANDLE" 2>/dev/null || umount -l "$BED_HANDLE"; done
  release_mounts
  local left
  left=$(mounts_left)
  if [ -n "$left" ]; then
    bed_say "warning: mounts left on the host: $left"
    return 1
  fi
}

# Inside the bed: root, or the test user. fd 9 (the lock) is closed for everything inside.
in_bed() {
  nsenter --mount="$BED_HANDLE" -- env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    LANG=C.UTF-8 HOME=/root TERM="${TERM:-dumb}" DEBIAN_FRONTEND=noninteractive "$@" 9>&-
}
as_bed_user() {
  local pass=() var
  for var in RC_STRESS_TRIALS RC_FUZZ_EXAMPLES; do
    [ -n "${!var:-}" ] && pass+=("$var=${!var}")
  done
  nsenter --mount="$BED_HANDLE" -- runuser -u "$BED_USER" -- env -i HOME="$BED_HOME" USER="$BED_USER" \
    LOGNAME="$BED_USER" SHELL=/bin/bash PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin LANG=C.UTF-8 \
    XDG_RUNTIME_DIR="/run/user/$BED_UID" CI="${CI:-}" TERM="${TERM:-dumb}" \
    PYTEST_ADDOPTS="${PYTEST_ADDOPTS:-}" PODMAN_IGNORE_CGROUPSV1_WARNING=1 "${pass[@]}" "$@" 9>&-
}

bed_is_up() {
  handle_mounted && nsenter --mount="$BED_HANDLE" -- /usr/bin/test -e /run/rcontainer-bed-up 2>/dev/null
}

# Host settings the bed must mirror, copied at every start: DNS, and the trust and pip setup
# that reach PyPI here. (On these machines PyPI's TLS is verified against local CAs in
# /usr/local/share/ca-certificates, which /etc/pip.conf makes pip use; a fresh userland
# without them fails with CERTIFICATE_VERIFY_FAILED.)
sync_host_settings() {
  cp -L /etc/resolv.conf "$BED_ROOT/etc/resolv.conf"
  [ -s "$BED_ROOT/etc/hosts" ] || printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' >"$BED_ROOT/etc/hosts"
  [ -f /etc/pip.conf ] && cp /etc/pip.conf "$BED_ROOT/etc/pip.conf"
  if [ -d /etc/xdg/pip ]; then
    mkdir -p "$BED_ROOT/etc/xdg"
    rm -rf "$BED_ROOT/etc/xdg/pip"
    cp -r /etc/xdg/pip "$BED_ROOT/etc/xdg/pip"
  fi
  local cas="$BED_ROOT/usr/local/share/ca-certificates" host_cas=/usr/local/share/ca-certificates
  mkdir -p "$cas"
  [ -d "$host_cas" ] || host_cas=$(mktemp -d)  # none on the host: none in the bed
  if ! diff -r -q "$host_cas" "$cas" >/dev/null 2>&1; then
    rm -rf "$cas"; cp -r "$host_cas" "$cas"; chmod 0755 "$cas"
    CA_CHANGED=1
  fi
  [ "$host_cas" = /usr/local/share/ca-certificates ] || rmdir "$host_cas"
}

# Make the tree the root of a new private mount namespace, kept by the handle. The setup runs
# in the new namespace only; the host gets the handle mounts and nothing else.
bed_up() {
  if bed_is_up; then return 0; fi
  teardown >/dev/null || true
  CA_CHANGED=0
  sync_host_settings
  mkdir -p "$BED_NS"
  findmnt -rn --mountpoint "$BED_NS" >/dev/null || mount --bind "$BED_NS" "$BED_NS"
  mount --make-private "$BED_NS"
  touch "$BED_HANDLE"
  # shellcheck disable=SC2016 # expanded by the inner shell
  unshare --mount="$BED_HANDLE" --propagation private bash -euc '
    root=$1 uid=$2 user=$3
    mount --bind "$root" "$root"
    mount -t proc proc "$root/proc"
    mount --rbind /sys "$root/sys"
    mount --rbind /dev "$root/dev"
    mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$root/dev/shm"  # the bed own (Podman locks)
    mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs "$root/run"
    mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$root/tmp"     # as Debian 13 has it
    cd "$root"
    mkdir -p .oldroot
    pivot_root . .oldroot
    cd /
    umount -l /.oldroot
    rmdir /.oldroot
    mount --make-rshared /
    mkdir -p -m 1777 /run/lock
    if getent passwd "$user" >/dev/null; then
      install -d -m 0700 -o "$user" -g "$user" "/run/user/$uid"
    fi
    touch /run/rcontainer-bed-up
  ' _ "$BED_ROOT" "$BED_UID" "$BED_USER" 9>&-
  if [ "$CA_CHANGED" = 1 ] && [ -x "$BED_ROOT/usr/sbin/update-ca-certificates" ]; then
    in_bed update-ca-certificates >/dev/null
  fi
  bed_is_up || die "the bed's mount namespace did not come up"
}

# The user's containers.conf: the same treatment as ensure_user in lib.sh. Podman 5 reads the
# same keys; runc because crun (1.21 in trixie) still refuses this hybrid-cgroup host.
provision() {
  local sources
  bed_say "provisioning: apt sources, packages, test user $BED_USER (uid $BED_UID)"
  if [ "$BED_SUITE" = sid ] || [ "$BED_SUITE" = unstable ]; then
    sources="deb $MIRROR $BED_SUITE main"
  else
    sources=$(printf 'deb %s %s main\ndeb %s %s-updates main\ndeb %s %s-security main' \
      "$MIRROR" "$BED_SUITE" "$MIRROR" "$BED_SUITE" "$SECURITY_MIRROR" "$BED_SUITE")
  fi
  printf '%s\n' "$sources" >"$BED_ROOT/etc/apt/sources.list"
  # docker-registry's package would start a daemon as root: no service starts in the bed
  printf '#!/bin/sh\nexit 101\n' >"$BED_ROOT/usr/sbin/policy-rc.d"
  chmod 0755 "$BED_ROOT/usr/sbin/policy-rc.d"
  # The archive reached here can serve Release files past their Valid-Until (sid's was weeks past
  # it when this was written); the host's apt is told not to check (`apt-config dump`), so the
  # bed's apt follows the host's settings for these two keys.
  local key value conf=""
  for key in Acquire::Check-Valid-Until Acquire::Check-Date; do
    value=$(apt-config dump | awk -v k="$key" '$1 == k { gsub(/[";]/, "", $2); print $2 }')
    [ "$value" = false ] && conf+="$key \"false\";"$'\n'
  done
  printf '%s' "$conf" >"$BED_ROOT/etc/apt/apt.conf.d/99rcontainer-bed-host"
  in_bed dpkg --configure -a
  in_bed apt-get update -q >"$BED_DIR/apt.log" 2>&1 ||
    { tail -30 "$BED_DIR/apt.log" >&2; die "apt-get update in the bed failed (log: $BED_DIR/apt.log)"; }
  in_bed apt-get install -y -q --no-install-recommends "${BED_PACKAGES[@]}" >>"$BED_DIR/apt.log" 2>&1 ||
    { tail -30 "$BED_DIR/apt.log" >&2; die "apt-get install in the bed failed (log: $BED_DIR/apt.log)"; }
  in_bed apt-get clean
  local have
  # the user and its group both get the bed's uid as id (a host group's gid would be shared too)
  have=$(in_bed getent passwd "$BED_USER" | cut -d: -f3,4 || true)
  if [ -n "$have" ] && [ "$have" != "$BED_UID:$BED_UID" ]; then
    in_bed userdel -r "$BED_USER" 2>/dev/null || true
    in_bed groupdel "$BED_USER" 2>/dev/null || true
    have=
  fi
  if [ -z "$have" ]; then
    # the uid is above useradd's UID_MAX (60000): say so to useradd, not in a warning
    in_bed groupadd -K GID_MAX="$BED_UID" -g "$BED_UID" "$BED_USER"
    in_bed useradd -m -K UID_MAX="$BED_UID" -u "$BED_UID" -g "$BED_USER" -s /bin/bash "$BED_USER"
  fi
  local f
  for f in subuid subgid; do
    sed -i "/^$BED_USER:/d" "$BED_ROOT/etc/$f"
    echo "$BED_USER:$BED_SUBID:$BED_SUBID_COUNT" >>"$BED_ROOT/etc/$f"
  done
  in_bed install -d -m 0700 -o "$BED_USER" -g "$BED_USER" "/run/user/$BED_UID"
  in_bed install -d -m 0755 -o "$BED_USER" -g "$BED_USER" "$BED_HOME/.config" "$BED_HOME/.config/containers"
  containers_conf >"$BED_ROOT$BED_HOME/.config/containers/containers.conf"
  in_bed chown "$BED_USER:" "$BED_HOME/.config/containers/containers.conf"
}

# A working bed: its Podman answers as the test user, Python can make a venv, dpkg is clean.
healthy() {
  [ -z "$(in_bed dpkg --audit 2>&1)" ] &&
    as_bed_user podman info --format '{{.Host.OCIRuntime.Name}}' 2>/dev/null | grep -qx runc &&
    in_bed /usr/bin/python3 -c 'import ensurepip, venv' 2>/dev/null
}

bed_stamp_want() {
  printf 'suite=%s mirror=%s uid=%s user=%s subids=%s:%s bed.sh=%s conf=%s\npackages=%s\n' \
    "$BED_SUITE" "$MIRROR" "$BED_UID" "$BED_USER" "$BED_SUBID" "$BED_SUBID_COUNT" \
    "$(sha256sum "$bed_here/scripts/bed.sh" | cut -c1-16)" "$(containers_conf | sha256sum | cut -c1-16)" \
    "$(printf '%s\n' "${BED_PACKAGES[@]}" | sort -u | tr '\n' ' ')"
}

debootstrap_tree() {
  bed_say "debootstrap --variant=minbase $BED_SUITE from $MIRROR"
  if ! command -v debootstrap >/dev/null; then
    env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap >/dev/null 2>&1 ||
      { apt-get update -q >/dev/null && env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap >/dev/null; }
  fi
  rm -f "$BED_DIR/base.stamp" "$BED_DIR/bed.stamp"
  rm -rf --one-file-system "$BED_ROOT" "$BED_DIR/root.new"
  # in a mount namespace of its own: the /proc and /sys that debootstrap mounts in the tree
  # vanish with it, even when it is killed halfway
  if ! unshare --mount --propagation private debootstrap --variant=minbase "$BED_SUITE" "$BED_DIR/root.new" \
    "$MIRROR" >"$BED_DIR/debootstrap.log" 2>&1 9>&-; then
    tail -20 "$BED_DIR/debootstrap.log" >&2
    die "debootstrap failed (log: $BED_DIR/debootstrap.log)"
  fi
  mv "$BED_DIR/root.new" "$BED_ROOT"
  echo "$base_want" >"$BED_DIR/base.stamp"
}

build() {
  local src=${1:-} t0=$SECONDS attempt
  bed_lock
  check_ids
  ensure_tun
  bed_mirrors
  mkdir -p "$BED_DIR"
  base_want="format=$BASE_FORMAT suite=$BED_SUITE mirror=$MIRROR"
  # a fresh namespace for every run: whatever an earlier run left there (processes, a handle
  # whose namespace was never finished) goes first
  teardown || true
  for attempt in 1 2; do
    if [ "$(cat "$BED_DIR/base.stamp" 2>/dev/null)" != "$base_want" ] || [ ! -x "$BED_ROOT/usr/bin/apt-get" ]; then
      debootstrap_tree
    fi
    bed_up
    if [ "$(cat "$BED_DIR/bed.stamp" 2>/dev/null)" != "$(bed_stamp_want)" ]; then
      rm -f "$BED_DIR/bed.stamp"
      provision
    fi
    if healthy; then
      bed_stamp_want >"$BED_DIR/bed.stamp"  # last: a tree without it is half made
      break
    fi
    [ "$attempt" = 2 ] && die "the bed is broken even after a fresh build (see $BED_DIR/*.log)"
    bed_say "the cached bed is broken: building it again from nothing"
    rm -f "$BED_DIR/base.stamp" "$BED_DIR/bed.stamp"
  done
  if [ -n "$src" ]; then
    copy_src "$src"
    # shellcheck disable=SC2016 # expanded by the inner shell
    as_bed_user bash -c 'source "$1/scripts/lib.sh"; ensure_venv "$1" "$2" "[test]"' _ "$BED_SRC" "$BED_VENV"
  fi
  bed_say "ready: podman $(bed_version) in $((SECONDS - t0))s"
}

bed_version() { as_bed_user podman --version | awk '{ print $3 }'; }

# The checkout, copied where the bed's test user owns it (as copy_tree_for in lib.sh).
copy_src() {
  local src=$1
  in_bed rm -rf "$BED_SRC"
  in_bed install -d -o "$BED_USER" -g "$BED_USER" "$BED_SRC"
  tar -C "$src" --exclude=./.venv --exclude=./.git --exclude='*/__pycache__' --exclude=./.pytest_cache \
    --exclude=./.hypothesis -cf - . | as_bed_user tar -C "$BED_SRC" -xf -
}

# Leftovers in the test user's storage from an earlier run (also one killed halfway): the user
# exists only for this bed, so all its containers and pods go. Storage that Podman cannot even
# read is reset.
clean_user_storage() {
  if ! as_bed_user podman info >/dev/null 2>&1; then
    bed_say "the test user's Podman storage is unusable: podman system reset"
    as_bed_user podman system reset --force >/dev/null 2>&1 || true
  fi
  as_bed_user podman pod rm --all --force --time 0 >/dev/null 2>&1 || true
  as_bed_user podman rm --all --force --time 0 >/dev/null 2>&1 || true
}

run_tests() {
  local src=$1; shift
  bed_lock
  [ -f "$BED_DIR/bed.stamp" ] || die "no bed in $BED_DIR: run scripts/bed.sh build first"
  bed_up
  copy_src "$src"
  clean_user_storage
  as_bed_user env RC_LINT="${RC_LINT:-0}" RC_VENV="$BED_VENV" bash "$BED_SRC/scripts/test.sh" --as-user "$@"
}

# The benchmarks (scripts/bench.sh --podman 5): as run_tests, then BENCHMARKS.md copied out. The
# pull benchmark's Debian tarball, made on the host by bench.sh (RC_BENCH_TARBALL), is copied in
# once.
run_bench() {
  local src=$1 out=$2; shift 2
  bed_lock
  [ -f "$BED_DIR/bed.stamp" ] || die "no bed in $BED_DIR: run scripts/bed.sh build first"
  bed_up
  copy_src "$src"
  clean_user_storage
  local cache=$BED_HOME/.cache/rcontainer-bench
  if [ -s "${RC_BENCH_TARBALL:-}" ] && ! as_bed_user test -s "$cache/debian.tar"; then
    as_bed_user mkdir -p "$cache"
    # shellcheck disable=SC2016 # $1 is the inner sh's
    as_bed_user sh -c 'cat >"$1.part" && mv "$1.part" "$1"' sh "$cache/debian.tar" <"$RC_BENCH_TARBALL"
  fi
  as_bed_user env RC_VENV="$BED_VENV" bash "$BED_SRC/scripts/bench.sh" --as-user "$@" \
    --output "$BED_SRC/BENCHMARKS.out"
  as_bed_user cat "$BED_SRC/BENCHMARKS.out" >"$out"
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
  build) build "$@" ;;
  rebuild) bed_lock; teardown || true; rm -rf --one-file-system "$BED_DIR"; build "$@" ;;
  test) [ $# -ge 1 ] || die "usage: scripts/bed.sh test SRC [PYTEST ARGS]"; run_tests "$@" ;;
  bench) [ $# -ge 2 ] || die "usage: scripts/bed.sh bench SRC OUT [BENCH ARGS]"; run_bench "$@" ;;
  run) bed_is_up || build; in_bed "$@" ;;
  user) bed_is_up || build; as_bed_user "$@" ;;
  version) bed_version ;;
  teardown) bed_lock; teardown ;;
  *) die "usage: scripts/bed.sh build [SRC] | rebuild | test SRC [ARGS] | bench SRC OUT [ARGS] | run CMD... | user CMD... | version | teardown" ;;
esac
