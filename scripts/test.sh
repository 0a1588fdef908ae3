#!/usr/bin/env bash
# The test command (README): installs what is missing, then runs every test, unit and
# integration, as an unprivileged user against a real rootless Podman service, a real registry on
# 127.0.0.1 and real bubblewrap. Started as root (as CI does), it prepares the user "$RC_USER"
# and runs the suite as that user; started as a normal user, it runs as that user.
# Extra arguments go to pytest, e.g. scripts/test.sh tests/unit -k profile
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/lib.sh
source "$here/scripts/lib.sh"

if [ "${1:-}" = --as-user ]; then
  shift
  venv=${RC_VENV:-$here/.venv}
  ensure_venv "$here" "$venv" "[test]"
  cd "$here"
  if [ "${RC_LINT:-1}" != 0 ]; then  # RC_LINT=0 skips lint while iterating on one test
    say "lint: ruff"
    "$venv/bin/ruff" check rcontainer tests bench
    "$venv/bin/ruff" format --check --quiet rcontainer tests bench
  fi
  say "tests: pytest as $(id -un) (uid $(id -u))"
  exec "$venv/bin/python" -m pytest "$@"
fi

run_as_user_or_self "$here" scripts/test.sh rcontainer-src venv "$@"
