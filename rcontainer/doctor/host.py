"""The host's side of ``rcontainer doctor``: sub-ids, the id-mapping helpers, user namespaces,
/dev/net/tun, cgroups, linger, rcontainer's folders and unprivileged ports. Parsers take text
or paths as parameters, so unit tests feed them fake ``/etc/subuid`` or ``mountinfo``
contents."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import stat
import subprocess
from collections.abc import Iterable
from pathlib import Path

from rcontainer.doctor.check import ERROR, INFO, WARNING, Check

MIN_SUBIDS = 65536
TUN = Path("/dev/net/tun")


# -- sub-ids -----------------------------------------------------------------------------------


def parse_subids(text: str, user: str, uid: int) -> list[tuple[int, int]]:
    """The (start, count) ranges of ``user`` (by name or uid) in /etc/subuid-style text."""
    ranges = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(":")
        if len(parts) != 3 or parts[0] not in (user, str(uid)):
            continue
        with contextlib.suppress(ValueError):
            ranges.append((int(parts[1]), int(parts[2])))
    return ranges


def check_subids(kind: str, path: Path, user: str, uid: int) -> Check:
    name = kind  # "subuid" or "subgid"
    fix = f"sudo usermod --add-{kind}s 100000-165535 {user}  (any free range of 65536 ids)"
    try:
        text = path.read_text()
    except FileNotFoundError:
        return Check(name, False, ERROR, f"{path} does not exist", fix)
    except OSError as exc:
        return Check(name, False, ERROR, f"cannot read {path}: {exc.strerror}", fix)
    ranges = parse_subids(text, user, uid)
    total = sum(count for _, count in ranges)
    if not ranges:
        return Check(name, False, ERROR, f"{user} has no range in {path}", fix)
    where = ", ".join(f"from {start}" for start, _ in ranges)
    if total < MIN_SUBIDS:
        return Check(name, False, ERROR, f"only {total} ids {where} in {path}; images need {MIN_SUBIDS}", fix)
    return Check(name, True, ERROR, f"{total} ids {where}")


# -- user namespaces ---------------------------------------------------------------------------


def check_userns(max_path: Path, clone_path: Path) -> Check:
    fix_max = "sudo sysctl -w user.max_user_namespaces=28633"
    try:
        maximum = int(max_path.read_text().strip())
    except (OSError, ValueError):
        return Check("userns", False, ERROR, f"cannot read {max_path}: no user namespaces in this kernel?")
    if maximum <= 0:
        return Check(
            "userns", False, ERROR, f"user namespaces are disabled ({max_path} is {maximum})", fix_max
        )
    with contextlib.suppress(OSError, ValueError):
        clone = int(clone_path.read_text().strip())
        if clone == 0:
            return Check(
                "userns",
                False,
                ERROR,
                "unprivileged user namespaces are disabled (kernel.unprivileged_userns_clone = 0)",
                "sudo sysctl -w kernel.unprivileged_userns_clone=1",
            )
    return Check("userns", True, ERROR, f"user namespaces enabled (max {maximum})")


# -- /dev/net/tun ------------------------------------------------------------------------------


def check_tun(path: Path, needed_by: list[str]) -> Check:
    severity = ERROR if needed_by else WARNING
    who = f"; needed by profile {', '.join(needed_by)}" if needed_by else ""
    if not path.exists():
        return Check(
            "tun", False, severity, f"{path} does not exist: no private networks{who}", "sudo modprobe tun"
        )
    if not os.access(path, os.R_OK | os.W_OK):
        mode = stat.S_IMODE(path.stat().st_mode)
        return Check(
            "tun",
            False,
            severity,
            f"{path} is not readable and writable by you (mode {mode:04o}): private networks "
            f"(slirp4netns, pasta) fail{who}",
            f"sudo chmod 0666 {path}  (its usual mode)",
        )
    return Check("tun", True, severity, f"{path} is usable: private networks work")


# -- cgroups -----------------------------------------------------------------------------------


def cgroup_mode(mountinfo: str) -> str:
    """``v2``, ``hybrid`` or ``v1`` from /proc/self/mountinfo text (``none`` if no cgroups)."""
    v1 = v2_root = v2_elsewhere = False
    for line in mountinfo.splitlines():
        left, sep, right = line.partition(" - ")
        if not sep:
            continue
        fields = left.split()
        fstype = right.split()[0] if right.split() else ""
        mount_point = fields[4] if len(fields) > 4 else ""
        if fstype == "cgroup2":
            if mount_point == "/sys/fs/cgroup":
                v2_root = True
            else:
                v2_elsewhere = True
        elif fstype == "cgroup":
            v1 = True
    if v2_root and not v1:
        return "v2"
    if v1 and (v2_elsewhere or v2_root):
        return "hybrid"
    if v1:
        return "v1"
    return "v2" if v2_elsewhere else "none"


def delegated_controllers(uid: int, root: Path = Path("/sys/fs/cgroup")) -> set[str]:
    """Controllers systemd delegates to the user's manager (what rootless containers can use)."""
    for candidate in (
        root / f"user.slice/user-{uid}.slice/user@{uid}.service/cgroup.controllers",
        root / "cgroup.controllers",
    ):
        with contextlib.suppress(OSError):
            return set(candidate.read_text().split())
    return set()


def check_cgroups(mode: str, controllers: set[str]) -> Check:
    if mode == "v2":
        missing = sorted({"cpu", "memory", "pids"} - controllers)
        if not missing:
            return Check(
                "cgroups",
                True,
                WARNING,
                f"cgroup v2 with delegated controllers ({', '.join(sorted(controllers))}): "
                "pause uses the freezer, resource limits apply",
            )
        return Check(
            "cgroups",
            False,
            WARNING,
            f"cgroup v2, but {', '.join(missing)} not delegated to your user: those resource limits are ignored",
            "delegate them: a systemd drop-in for user@.service with Delegate=cpu cpuset io memory pids",
        )
    what = {"hybrid": "cgroup v1/hybrid (v1 controllers, an empty v2 tree)", "v1": "cgroup v1"}.get(
        mode, "no cgroups mounted"
    )
    return Check(
        "cgroups",
        False,
        WARNING,
        f"{what}: rootless containers get no cgroup, so pause by signal (SIGSTOP to each process) "
        "and no resource limits (memory, cpus, pids are ignored); crun refuses hybrid hosts",
        "boot with systemd.unified_cgroup_hierarchy=1 for cgroup v2",
    )


# -- linger ------------------------------------------------------------------------------------


def check_linger(user: str, linger_dir: Path = Path("/var/lib/systemd/linger")) -> Check:
    fix = f"sudo loginctl enable-linger {user}"
    answer = None
    loginctl = shutil.which("loginctl")
    if loginctl:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            proc = subprocess.run(
                [loginctl, "show-user", user, "-p", "Linger"], capture_output=True, text=True, timeout=5
            )
            if proc.returncode == 0 and proc.stdout.startswith("Linger="):
                answer = proc.stdout.strip().split("=", 1)[1] == "yes"
    if answer is None:
        answer = (linger_dir / user).exists()
    if answer:
        return Check("linger", True, WARNING, "lingering: your services keep running after you log out")
    return Check(
        "linger",
        False,
        WARNING,
        "not lingering: the Podman socket and rcontainer's user units stop when you log out",
        fix,
    )


# -- XDG dirs ----------------------------------------------------------------------------------


def check_dir(label: str, path: Path, uid: int, *, private: bool) -> Check:
    name = f"{label} dir"
    try:
        st = path.stat()
    except FileNotFoundError:
        return Check(name, True, ERROR, f"{path} does not exist yet (created on first use)")
    except OSError as exc:
        return Check(name, False, ERROR, f"cannot look at {path}: {exc.strerror}", f"ls -ld {path}")
    mode = stat.S_IMODE(st.st_mode)
    if not stat.S_ISDIR(st.st_mode):
        return Check(name, False, ERROR, f"{path} is not a folder", f"move {path} away")
    if st.st_uid != uid:
        try:
            owner = pwd.getpwuid(st.st_uid).pw_name
        except KeyError:
            owner = str(st.st_uid)
        return Check(
            name, False, ERROR, f"{path} belongs to {owner}, not you", f"sudo chown -R {uid}: {path}"
        )
    if mode & 0o022:
        return Check(
            name,
            False,
            ERROR,
            f"{path} is mode {mode:04o}: others can write there",
            f"chmod {'0700' if private else 'go-w'} {path}",
        )
    if private and mode & 0o077:
        return Check(
            name,
            False,
            WARNING,
            f"{path} is mode {mode:04o}: others can read container records and logs",
            f"chmod 0700 {path}",
        )
    return Check(name, True, ERROR, f"{path} (mode {mode:04o})")


# -- ports -------------------------------------------------------------------------------------


def check_ports(start_path: Path, ports: Iterable[tuple[str, int]]) -> Check:
    try:
        start = int(start_path.read_text().strip())
    except (OSError, ValueError):
        return Check(
            "ports", True, INFO, f"cannot read {start_path}; assuming ports below 1024 are privileged"
        )
    low = [(p, port) for p, port in ports if port < start]
    if low:
        listed = ", ".join(f"{port} ({p})" for p, port in low)
        return Check(
            "ports",
            False,
            WARNING,
            f"ports below {start} need root, but profiles publish {listed}",
            f"publish a port >= {start}, or: sudo sysctl -w net.ipv4.ip_unprivileged_port_start={min(x for _, x in low)}",
        )
    return Check("ports", True, INFO, f"you may publish host ports from {start} up")


# -- newuidmap / newgidmap ---------------------------------------------------------------------


def check_idmap_helper(name: str) -> Check:
    fix = "sudo apt-get install uidmap  (shadow-utils on Fedora)"
    path = shutil.which(
        name, path=os.pathsep.join([os.environ.get("PATH", ""), "/usr/bin", "/usr/sbin", "/bin"])
    )
    if path is None:
        return Check(name, False, ERROR, f"{name} is not installed: only one id can be mapped", fix)
    st = os.stat(path)
    has_caps = False
    with contextlib.suppress(OSError):
        has_caps = bool(os.getxattr(path, "security.capability"))
    if st.st_mode & stat.S_ISUID and st.st_uid == 0:
        return Check(name, True, ERROR, f"{path} is setuid root")
    if has_caps:
        return Check(name, True, ERROR, f"{path} has file capabilities")
    return Check(
        name, False, ERROR, f"{path} is neither setuid root nor given capabilities", f"sudo chmod u+s {path}"
    )
