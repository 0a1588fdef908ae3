#!/usr/bin/env bash
# The test command (README): installs what is missing, then runs every test, unit and
# integration, as an unprivileged user against a real rootless Podman service, a real registry on
# 127.0.0.1 and real bubblewrap. Started as root (as CI does), it prepares the user "$RC_USER"
# and runs the suite as that user; started as a normal user, it runs as that user.
#
# The whole suite runs twice: on the host's Podman (4.3.1 on Debian 12), and on Podman 5 inside
# the test bed that scripts/bed.sh builds (a Debian 13 userland; cached in
# /var/cache/rcontainer-bed). The bed needs root (or sudo). It ends with one line per Podman
# version and fails if either run failed.
#   RC_PODMAN=4 scripts/test.sh       the host's Podman only      RC_PODMAN=5: the bed only
#   RC_BED_SUITE=sid scripts/test.sh  the bed from Debian unstable (Podman 5.8), cached apart
# Extra arguments go to pytest (in both runs), e.g. scripts/test.sh tests/unit -k profile
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/lib.sh
source "$here/scripts/lib.sh"

if [ "${1:-}" = --as-user ]; then  # one run of the suite, as the unprivileged user (host or bed)
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

# scripts/bed.sh (the Podman 5 bed) needs root: called directly as root, else through sudo.
bed() {
  if [ "$(id -u)" = 0 ]; then
    bash "$here/scripts/bed.sh" "$@"
  else
    local pass=() var
    for var in RC_LINT RC_BED_SUITE RC_BED_CACHE RC_BED_MIRROR RC_BED_UID RC_BED_SUBID RC_BED_USER CI \
      PYTEST_ADDOPTS RC_STRESS_TRIALS RC_FUZZ_EXAMPLES TERM; do
      [ -n "${!var:-}" ] && pass+=("$var=${!var}")
    done
    sudo -n env "${pass[@]}" bash "$here/scripts/bed.sh" "$@"
  fi
}

case "${1:-}" in  # the two runs, each started below in a session of its own
  --host) shift; run_as_user_or_self "$here" scripts/test.sh rcontainer-src venv "$@"; exit ;;
  --bed-build) bed build "$here"; exit ;;
  --bed-test) shift; bed test "$here" "$@"; exit ;;
  --bed-both)  # build, then the suite; "bed run: N s" (the suite's time) is read by the summary
    shift
    bed build "$here"
    t0=$SECONDS bed_rc=0
    bed test "$here" "$@" || bed_rc=$?
    say "bed run: $((SECONDS - t0))s"
    exit "$bed_rc" ;;
esac

want=${RC_PODMAN:-both}
case "$want" in
  4 | 5 | both) ;;
  *) die "RC_PODMAN must be 4 (the host's Podman), 5 (the Podman 5 bed) or both (default), not '$want'" ;;
esac
want4=0 want5=0
[ "$want" = 5 ] || want4=1
[ "$want" = 4 ] || want5=1
lint=${RC_LINT:-1}
suite=${RC_BED_SUITE:-trixie}
if [ "$want5" = 1 ] && [ "$(id -u)" != 0 ] && ! { command -v sudo >/dev/null && sudo -n true 2>/dev/null; }; then
  die "the Podman 5 bed needs root or sudo; RC_PODMAN=4 runs the host's Podman only"
fi

# Host packages first, in the foreground: the bed's build (debootstrap) and the host run must not
# both want apt's lock.
[ "$want5" = 1 ] && DEB_PACKAGES+=(debootstrap)
ensure_packages
ensure_tun

tmp=$(mktemp -d /tmp/rcontainer-test.XXXXXX)
jobs_running=()  # session leaders of the runs still going (stopped by PID on an interrupt)

# Start CMD in a session of its own (so an interrupt can stop it and what it started), its
# output to LOG; sets JOB_PID. A command started with & ignores SIGINT (no job control in a
# script), and Python then ignores it too: SIGINT is given back its default, so that pytest gets
# KeyboardInterrupt on an interrupt and stops its Podman service and registry.
start_job() {
  local log=$1; shift
  : >"$log"
  setsid env --default-signal=INT "$@" </dev/null >"$log" 2>&1 &
  JOB_PID=$!
  jobs_running+=("$JOB_PID")
}
# Show LOG from its start until the job ends; sets JOB_RC. (`wait` is interruptible: an interrupt
# runs the trap at once, not after the job.)
follow_job() {
  local pid=$1 log=$2 tailpid p keep=()
  tail -n +1 -f --pid="$pid" "$log" &
  tailpid=$!
  JOB_RC=0
  wait "$pid" || JOB_RC=$?
  wait "$tailpid" 2>/dev/null || true
  for p in "${jobs_running[@]}"; do [ "$p" = "$pid" ] || keep+=("$p"); done
  jobs_running=("${keep[@]}")
}

# shellcheck disable=SC2317 # run by the trap
cleanup() {
  local rc=$? pid
  trap - EXIT INT TERM
  for pid in "${jobs_running[@]}"; do
    # SIGINT first: pytest then runs its fixtures' teardown (Podman service, registry)
    kill -INT -- "-$pid" 2>/dev/null || true
  done
  for pid in "${jobs_running[@]}"; do
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  done
  # every process of the bed stopped by PID, its namespace released, no mount left on the host
  if [ "$want5" = 1 ] && [ "${torn_down:-0}" = 0 ]; then bed teardown || rc=1; fi
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The last line of pytest's summary in LOG ("477 passed in 360.12s (0:06:00)"), or what stopped it.
result_of() {
  local log=$1 rc=$2 line
  line=$(grep -E '^(=+ )?(no tests ran|[0-9]+ (passed|failed|errors?|skipped|deselected|xfailed|xpassed|warnings?))' "$log" |
    tail -1 | sed -E 's/^=+ //; s/ =+$//') || true
  if [ -z "$line" ]; then
    if grep -q '^==> lint: ruff' "$log" && ! grep -q '^==> tests: pytest' "$log"; then line="lint failed"
    else line="did not run to the end"; fi
  fi
  if [ "$rc" = 0 ]; then echo "$line"; else echo "$line [FAILED, exit $rc]"; fi
}

# How the two runs share these 2 cores. Measured here (warm bed, other suites loading the
# machine): host suite 313 s then bed suite 251 s one after the other (577 s in all), against
# 311 s and 253 s side by side (319 s in all). The suites wait on Podman far more than they
# compute, so running them side by side costs neither one time; both passed that way on a
# machine loaded by other test runs. So by default the bed is built and its suite run in the
# background while the host suite runs; RC_PARALLEL=0 runs them one after the other (the bed's
# build still overlapping the host run), e.g. to rule out interference when chasing a flaky test.
parallel=${RC_PARALLEL:-1}
host_rc=0 host_secs=0 bed_rc=0 build_rc=0 bed_ran=0
bed_lint=$lint
[ "$want4" = 1 ] && bed_lint=0  # lint once: the host run does it
t_start=$SECONDS

if [ "$want5" = 1 ]; then
  if [ "$want4" = 1 ] && [ "$parallel" = 1 ]; then
    say "Podman 5 bed ($suite): building it and running the suite there, beside the host run"
    start_job "$tmp/bed.log" env RC_LINT="$bed_lint" bash "$here/scripts/test.sh" --bed-both "$@"
  else
    [ "$want4" = 1 ] && say "Podman 5 bed ($suite): building it, beside the host run"
    start_job "$tmp/bed.log" bash "$here/scripts/test.sh" --bed-build
    [ "$want4" = 1 ] || follow_job "$JOB_PID" "$tmp/bed.log"
  fi
  bed_job=$JOB_PID
fi

if [ "$want4" = 1 ]; then
  host_version=$(podman --version 2>/dev/null | awk '{ print $3 }') || true
  say "the host's Podman ${host_version:-?}"
  t0=$SECONDS
  start_job "$tmp/host.log" env RC_LINT="$lint" bash "$here/scripts/test.sh" --host "$@"
  follow_job "$JOB_PID" "$tmp/host.log"
  host_rc=$JOB_RC host_secs=$((SECONDS - t0))
fi

if [ "$want5" = 1 ]; then
  if [ "$want4" = 1 ]; then
    say "Podman 5 bed ($suite): its output, from the start"
    follow_job "$bed_job" "$tmp/bed.log"
  fi
  if [ "$want4" = 1 ] && [ "$parallel" = 1 ]; then
    bed_rc=$JOB_RC
    grep -q '^==> bed run: ' "$tmp/bed.log" && bed_ran=1
    [ "$bed_ran" = 1 ] || build_rc=$bed_rc
  else
    build_rc=$JOB_RC
    if [ "$build_rc" = 0 ]; then
      t0=$SECONDS
      start_job "$tmp/bed-run.log" env RC_LINT="$bed_lint" bash "$here/scripts/test.sh" --bed-test "$@"
      follow_job "$JOB_PID" "$tmp/bed-run.log"
      bed_rc=$JOB_RC bed_ran=1
      echo "==> bed run: $((SECONDS - t0))s" >>"$tmp/bed.log"
      cat "$tmp/bed-run.log" >>"$tmp/bed.log"
    fi
  fi
  bed_version=$(bed version 2>/dev/null) || bed_version=5
fi

rc=0
torn_down=0
if [ "$want5" = 1 ]; then  # now, so that the summary comes last
  bed teardown || { say "warning: the bed's teardown failed"; rc=1; }
  torn_down=1
fi
echo
say "total: $((SECONDS - t_start))s"
if [ "$want5" = 1 ]; then
  # the build's own time (with the host run beside it, it ended long before it is shown)
  build_secs=$(sed -n 's/.*: ready: podman .* in \([0-9]*\)s$/\1/p' "$tmp/bed.log" | tail -1)
  if [ "$build_rc" = 0 ]; then say "Podman 5 bed ($suite): ready in ${build_secs:-?}s"
  else say "Podman 5 bed ($suite): build FAILED (exit $build_rc)"; fi
fi
if [ "$want4" = 1 ]; then
  say "podman ${host_version:-?} (host): $(result_of "$tmp/host.log" "$host_rc") (run: ${host_secs}s)"
  [ "$host_rc" = 0 ] || rc=1
fi
if [ "$want5" = 1 ]; then
  if [ "$bed_ran" = 1 ]; then
    bed_secs=$(sed -n 's/^==> bed run: \([0-9]*\)s$/\1/p' "$tmp/bed.log" | tail -1)
    say "podman $bed_version (bed $suite): $(result_of "$tmp/bed.log" "$bed_rc") (run: ${bed_secs:-?}s)"
    [ "$bed_rc" = 0 ] || rc=1
  else
    say "podman 5 (bed $suite): not run, the bed's build failed [FAILED]"
    rc=1
  fi
fi
exit "$rc"
