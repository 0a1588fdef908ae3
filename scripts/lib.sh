# Shared by scripts/demo.sh and scripts/test.sh: host preparation, run as root (or with sudo).
# Every step checks before it changes anything, so running it twice is safe.
# shellcheck shell=bash

RC_USER="${RC_USER:-rcdev}"  # the unprivileged user that demo and tests run as when started by root
# golang-github-containernetworking-plugin-dnsname: on Podman 4 (CNI), containers of a project
# reach each other by name only through this plugin (it brings dnsmasq-base)
DEB_PACKAGES=(podman runc crun bubblewrap slirp4netns uidmap fuse-overlayfs catatonit busybox-static
  skopeo docker-registry containers-storage python3-venv systemd bash-completion zsh fish shellcheck podman-compose
  golang-github-containernetworking-plugin-dnsname)

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo "$@"
  else return 1
  fi
}

ensure_packages() {
  local missing=() p
  for p in "${DEB_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} = 0 ] && return 0
  say "installing Debian packages: ${missing[*]}"
  if ! as_root true; then
    die "missing Debian packages: ${missing[*]} (run as root or with sudo, or install them)"
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
}

# Host facts (README, facts about hosts): /dev/net/tun is 0600 on these machines, so rootless
# networking (slirp4netns) cannot open it. 0666 is its usual mode elsewhere; we say so aloud.
ensure_tun() {
  local mode
  mode=$(stat -c %a /dev/net/tun 2>/dev/null) || return 0
  if [ "$mode" != 666 ]; then
    say "/dev/net/tun is mode $mode; setting 0666 (its usual mode) so rootless networking works"
    as_root chmod 0666 /dev/net/tun || say "warning: could not chmod /dev/net/tun; networked containers will fail"
  fi
}

# The test user's containers.conf, on the host and in the Podman 5 bed (scripts/bed.sh).
containers_conf() {
  cat <<'CONF'
# written by rcontainer scripts/lib.sh for the unprivileged test and demo user.
[engine]
# crun refuses every container on a cgroup-hybrid host ("cgroups in hybrid mode not supported"):
# crun 1.8 (Debian 12) and crun 1.21 (Debian 13) alike.
runtime = "runc"
# no systemd user session here (systemd is not PID 1): no D-Bus, no journald for this user.
cgroup_manager = "cgroupfs"
events_logger = "file"
[engine.runtimes]
runc = ["/usr/bin/runc", "/usr/sbin/runc"]
CONF
}

# Make (or repair) the unprivileged user: sub-ids, runtime dir, containers.conf.
ensure_user() {
  local user=$1 uid home
  if ! id "$user" >/dev/null 2>&1; then
    say "creating unprivileged user $user"
    useradd -m -s /bin/bash "$user"
  fi
  uid=$(id -u "$user"); home=$(getent passwd "$user" | cut -d: -f6)
  grep -q "^$user:" /etc/subuid || usermod --add-subuids 200000-265535 "$user"
  grep -q "^$user:" /etc/subgid || usermod --add-subgids 200000-265535 "$user"
  install -d -m 0700 -o "$user" -g "$user" "/run/user/$uid"
  install -d -m 0755 -o "$user" -g "$user" "$home/.config" "$home/.config/containers"
  local conf="$home/.config/containers/containers.conf"
  if [ ! -f "$conf" ] || ! grep -q 'written by rcontainer scripts' "$conf"; then
    containers_conf >"$conf"
    chown "$user:" "$conf"
  fi
}

# Copy the checkout where the unprivileged user can read it (CI may clone under /root, 0700).
copy_tree_for() {
  local user=$1 src=$2 dest=$3
  rm -rf "$dest"
  install -d -o "$user" -g "$user" "$dest"
  tar -C "$src" --exclude=./.venv --exclude=./.git --exclude='*/__pycache__' --exclude=./.pytest_cache \
    --exclude=./.hypothesis -cf - . | runuser -u "$user" -- tar -C "$dest" -xf -
}

# Run a command as the user, with a clean login-like environment.
run_as() {
  local user=$1; shift
  local uid home
  uid=$(id -u "$user"); home=$(getent passwd "$user" | cut -d: -f6)
  local pass=() var
  # knobs for on-demand runs (RC_STRESS_TRIALS=200, RC_FUZZ_EXAMPLES=5000) go through when set
  for var in RC_STRESS_TRIALS RC_FUZZ_EXAMPLES; do
    [ -n "${!var:-}" ] && pass+=("$var=${!var}")
  done
  runuser -u "$user" -- env -i HOME="$home" USER="$user" LOGNAME="$user" SHELL=/bin/bash \
    PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin LANG=C.UTF-8 XDG_RUNTIME_DIR="/run/user/$uid" \
    CI="${CI:-}" TERM="${TERM:-dumb}" PYTEST_ADDOPTS="${PYTEST_ADDOPTS:-}" "${pass[@]}" "$@"
}

# A virtual environment for the Python side, with Debian's python3 (the default python3 on these
# machines lives under /root, which another user cannot execute). Reused when pyproject.toml has
# not changed.
ensure_venv() {
  local src=$1 venv=$2 extras=${3:-}
  local stamp="$venv/.rcontainer-stamp" want
  want=$(sha256sum "$src/pyproject.toml" | cut -c1-16)$extras
  if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    say "creating virtual environment $venv"
    rm -rf "$venv"
    /usr/bin/python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check --upgrade pip >/dev/null
    "$venv/bin/pip" install -q --disable-pip-version-check -e "$src$extras" --config-settings editable_mode=compat 2>&1 | grep -v -e BuildBackendWarning -e '^ ' || true
    [ -x "$venv/bin/rcontainer" ] || die "could not install rcontainer into $venv"
    echo "$want" >"$stamp"
  else
    # the tree may have been copied anew: refresh the editable install's metadata cheaply
    "$venv/bin/pip" install -q --disable-pip-version-check --no-deps -e "$src$extras" \
      --config-settings editable_mode=compat >/dev/null 2>&1 ||
      "$venv/bin/pip" install -q --disable-pip-version-check --no-deps -e "$src$extras" \
        --config-settings editable_mode=compat
  fi
}

# Prepare the host and run "$script --as-user ARGS" as the unprivileged user on a copy of the
# tree it can read (started as root), or directly (started as a normal user).
#   run_as_user_or_self HERE SCRIPT COPY VENV [ARGS...]
run_as_user_or_self() {
  local here=$1 script=$2 copy=$3 venv=$4; shift 4
  ensure_packages
  ensure_tun
  if [ "$(id -u)" = 0 ]; then
    ensure_user "$RC_USER"
    local home dest
    home=$(getent passwd "$RC_USER" | cut -d: -f6)
    dest=$home/$copy
    copy_tree_for "$RC_USER" "$here" "$dest"
    run_as "$RC_USER" env RC_LINT="${RC_LINT:-1}" RC_VENV="$home/.cache/rcontainer-dev/$venv" \
      bash "$dest/$script" --as-user "$@"
  else
    bash "$here/$script" --as-user "$@"
  fi
}
