#!/usr/bin/env bash
# Benchmarks (README): prepares the rootless user like scripts/test.sh, makes a Debian root
# filesystem with debootstrap for the pull benchmark (once), runs bench/run.py as that user and
# writes BENCHMARKS.md. Extra arguments go to bench/run.py (--runs N, --only cli updown ...).
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
  run_as_user_or_self "$here" scripts/bench.sh rcontainer-bench venv "$@" --output "/tmp/rcontainer-BENCHMARKS.md"
  cp "/tmp/rcontainer-BENCHMARKS.md" "$out"
  say "wrote $out"
else
  run_as_user_or_self "$here" scripts/bench.sh rcontainer-bench venv "$@"
fi
