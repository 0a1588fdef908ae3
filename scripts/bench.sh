#!/usr/bin/env bash
# Benchmarks (README): prepares the rootless user like scripts/test.sh, makes a Debian root
# filesystem with debootstrap for the pull benchmark (once), runs bench/run.py as that user and
# writes BENCHMARKS.md. Extra arguments go to bench/run.py (--runs N, --only cli updown ...).
# `--podman 5` (or RC_PODMAN=5) runs them on Podman 5 in the test bed (scripts/bed.sh, as
# scripts/test.sh does; needs root) and writes that version's section of BENCHMARKS.md;
# `--podman 4` (the default) on the host's Podman. Each version's section is kept when the other
# is measured.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/lib.sh
source "$here/scripts/lib.sh"

if [ "${1:-}" = --as-user ]; then
  shift
  venv=${RC_VENV:-$here/.venv}
  ensure_venv "$here" "$venv" "[test]"
  cd "$here"
  "$venv/bin/python" bench/run.py "$@"
  exit 0
fi

podman_version=${RC_PODMAN:-4}
if [ "${1:-}" = --podman ]; then
  podman_version=${2:-}
  shift 2 || die "usage: scripts/bench.sh [--podman 4|5] [bench/run.py ARGS]"
fi
case "$podman_version" in
  4 | 5) ;;
  *) die "--podman (RC_PODMAN) must be 4 (the host's Podman) or 5 (the Podman 5 bed), not '$podman_version'" ;;
esac
if [ "$podman_version" = 5 ] && [ "$(id -u)" != 0 ]; then
  die "the Podman 5 bed needs root: run scripts/bench.sh --podman 5 as root"
fi

DEB_PACKAGES+=(debootstrap)
if [ "$(id -u)" = 0 ]; then
  ensure_packages
  ensure_user "$RC_USER"
  home=$(getent passwd "$RC_USER" | cut -d: -f6)
  tarball=$home/.cache/rcontainer-bench/debian.tar
  if [ ! -s "$tarball" ]; then
    say "making a Debian root filesystem with debootstrap for the pull benchmark (once)"
    tmp=$(mktemp -d)
    if debootstrap --variant=minbase bookworm "$tmp/root" >"$tmp/log" 2>&1; then
      install -d -o "$RC_USER" -g "$RC_USER" "$(dirname "$tarball")"
      tar -C "$tmp/root" --numeric-owner -cf "$tarball" . && chown "$RC_USER:" "$tarball"
    else
      say "debootstrap failed (see $tmp/log); the pull benchmark will be skipped"
    fi
    rm -rf "$tmp/root"
  fi
  out=$here/BENCHMARKS.md
  # a folder of this run's own: other checkouts' benchmarks may run on the same machine
  tmp=$(mktemp -d /tmp/rcontainer-bench.XXXXXX)
  trap 'rm -rf "$tmp"' EXIT
  chown "$RC_USER:" "$tmp"
  if [ "$podman_version" = 5 ]; then
    ensure_packages
    bash "$here/scripts/bed.sh" build
    t=0
    RC_BENCH_TARBALL=$tarball bash "$here/scripts/bed.sh" bench "$here" "$tmp/BENCHMARKS.md" "$@" || t=$?
    bash "$here/scripts/bed.sh" teardown || say "warning: the bed's teardown failed"
    [ "$t" = 0 ] || die "the benchmarks in the bed failed (exit $t)"
  else
    run_as_user_or_self "$here" scripts/bench.sh rcontainer-bench venv-bench "$@" --output "$tmp/BENCHMARKS.md"
  fi
  cp "$tmp/BENCHMARKS.md" "$out"
  say "wrote $out"
else
  run_as_user_or_self "$here" scripts/bench.sh rcontainer-bench venv-bench "$@"
fi
