#!/usr/bin/env bash
# The main job (README): installs what is missing, then brings profiles/hello.yaml up on
# rootless Podman and walks it through its lifecycle. Started as root, it prepares the
# unprivileged user "$RC_USER" and runs the demo as that user (rcontainer is rootless).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/lib.sh
source "$here/scripts/lib.sh"

if [ "${1:-}" = --as-user ]; then
  venv=${RC_VENV:-$here/.venv}
  ensure_venv "$here" "$venv"
  export PATH="$venv/bin:$PATH"
  # The demo's Podman service (started by rcontainer itself when none answers) exits when idle.
  export RCONTAINER_SERVICE_IDLE=${RCONTAINER_SERVICE_IDLE:-60}
  cd "$here"
  step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }
  say "making the busybox image offline (Debian's busybox-static, imported into Podman)"
  scripts/make-busybox-image.sh >/dev/null
  step rcontainer validate profiles/hello.yaml
  rcontainer down hello >/dev/null 2>&1 || true
  step rcontainer up profiles/hello.yaml
  step rcontainer info
  step rcontainer ps
  sleep 3
  step rcontainer logs --tail 3 hello
  step rcontainer pause hello
  before=$(rcontainer logs hello | wc -l); sleep 2; after=$(rcontainer logs hello | wc -l)
  printf 'log lines while paused: %s then %s (frozen)\n' "$before" "$after"
  step rcontainer inspect hello
  step rcontainer unpause hello
  sleep 2
  step rcontainer logs --tail 2 hello
  step rcontainer up profiles/hello.yaml
  GREETING=bonjour step rcontainer up profiles/hello.yaml
  sleep 2
  step rcontainer logs --tail 1 hello
  step rcontainer stop hello
  step rcontainer start hello
  step rcontainer down hello
  step rcontainer history hello
  step rcontainer logs --tail 2 hello
  say "demo done: hello went created -> running -> paused -> running -> (recreated) -> stopped -> running -> removed"
  exit 0
fi

say "rcontainer is rootless: started as root, the demo runs as the unprivileged user $RC_USER"
run_as_user_or_self "$here" scripts/demo.sh rcontainer-demo venv-demo
