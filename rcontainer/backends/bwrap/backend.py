"""The bubblewrap family: containers run by ``bwrap`` under a small supervisor, no daemon.

Layout of one container (``<state>/containers[/<scope>]/.bwrap/<name>-<id12>/``)::

    root/          bound at / (writable): mount points, symlinks and copies of the image's
                   small writable folders (/etc, /root, /home, /var, ...); the image's other
                   top-level folders (/bin, /usr, /lib, ...) are bound over it READ-ONLY from
                   the shared cache (``rcontainer.backends.bwrap.rootfs``), so no container writes there
    spec.json      the bubblewrap options, command and environment (0600: may hold secrets)
    runtime.json   written by the supervisor: its pid, bwrap's, the container's init pid,
                   their start times, the boot id and, at the end, the exit code
    supervisor.log the supervisor's own errors

The container's stdout/stderr go to ``rec.log_path`` in k8s-file format. State comes from
``runtime.json`` and /proc: a process counts as alive only when its pid, its start time and
the boot id all match, so PID reuse or a reboot never shows a dead container as running.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import shutil
import signal as signals
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import rcontainer
from rcontainer import paths
from rcontainer.backends.bwrap import rootfs
from rcontainer.backends.bwrap.capabilities import CAPABILITIES
from rcontainer.container import Observed, Record, State
from rcontainer.errors import BadInput, NotFound, OperationFailed, RuntimeUnavailable

if TYPE_CHECKING:
    from rcontainer.backends.base import ImageSource, ProgressFn
    from rcontainer.runtimes import RuntimeClass

# Mount points bwrap fills itself; never bound from the image.
MOUNTED = ("proc", "dev", "sys", "tmp", "run")
# Top-level folders copied into the container's own root so it can write there (they are
# small in images); everything else is bound read-only from the shared cache.
COPIED = ("etc", "root", "home", "var", "srv", "mnt", "media")
COPY_LIMIT = 64 << 20  # a copied folder bigger than this is bound read-only instead
# Podman's default capability set for a container's root (namespaced: they are worth
# nothing outside the container's user namespace).
DEFAULT_CAPS = (
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
)
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
START_TIMEOUT = 10.0


# -- /proc -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ProcStat:
    pid: int
    comm: str
    state: str
    ppid: int
    starttime: int  # clock ticks after boot (field 22)


def parse_stat(text: str) -> ProcStat:
    """Parse /proc/PID/stat. The command name (field 2) is in parentheses and may itself hold
    spaces and parentheses: split at the last ')'."""
    head, _, tail = text.rpartition(")")
    pid_text, _, comm = head.partition(" (")
    fields = tail.split()
    # tail starts at field 3 (state): field N is fields[N - 3]
    return ProcStat(int(pid_text), comm, fields[0], int(fields[1]), int(fields[19]))


def read_stat(pid: int) -> ProcStat | None:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return parse_stat(fh.read())
    except (OSError, ValueError, IndexError):
        return None


def boot_id() -> str:
    try:
        with open("/proc/sys/kernel/random/boot_id") as fh:
            return fh.read().strip()
    except OSError:  # pragma: no cover - always there on Linux
        return ""


def alive(pid: int | None, starttime: int | None, boot: str | None = None) -> bool:
    """The process that was ``pid`` is still running (not a zombie, not a reused pid)."""
    if not pid or starttime is None:
        return False
    if boot is not None and boot != boot_id():
        return False
    st = read_stat(pid)
    return st is not None and st.starttime == starttime and st.state not in ("Z", "X", "x")


def signal_number(name: str | int) -> int:
    if isinstance(name, int) or str(name).isdigit():
        return int(name)
    text = str(name).upper()
    try:
        return int(getattr(signals, text if text.startswith("SIG") else f"SIG{text}"))
    except AttributeError:
        raise BadInput(f"unknown signal {name!r}") from None


# -- building the sandbox ----------------------------------------------------------------------
def _id_table(path: Path) -> list[list[str]]:
    try:
        return [
            line.split(":") for line in path.read_text().splitlines() if line and not line.startswith("#")
        ]
    except OSError:
        return []


def resolve_user(etc: Path, user: str | None) -> tuple[int, int, str]:
    """uid, gid and home of ``user`` (NAME, UID, NAME:GROUP, UID:GID) from the image's
    /etc/passwd and /etc/group; root when unset."""
    if not user:
        return 0, 0, "/root"
    name, _, group = user.partition(":")
    passwd = _id_table(etc / "passwd")
    uid = gid = None
    home = "/"
    for row in passwd:
        if len(row) >= 6 and (row[0] == name or (name.isdigit() and row[2] == name)):
            uid, gid, home = int(row[2]), int(row[3]), row[5] or "/"
            break
    if uid is None:
        if not name.isdigit():
            raise BadInput(f"user {name!r} is not in the image's /etc/passwd")
        uid, gid = int(name), int(name)
    if group:
        if group.isdigit():
            gid = int(group)
        else:
            rows = [r for r in _id_table(etc / "group") if len(r) >= 3 and r[0] == group]
            if not rows:
                raise BadInput(f"group {group!r} is not in the image's /etc/group")
            gid = int(rows[0][2])
    return uid, int(gid if gid is not None else uid), home


def container_command(profile: dict[str, Any], config: dict[str, Any]) -> list[str]:
    """Entrypoint + command as Docker combines them: a profile entrypoint drops the image's CMD."""
    if profile.get("entrypoint"):
        entry = list(profile["entrypoint"])
        cmd = list(profile.get("command") or [])
    else:
        entry = list(config.get("Entrypoint") or [])
        cmd = list(profile.get("command") or config.get("Cmd") or [])
    argv = entry + cmd
    if not argv:
        raise BadInput("the profile has no command and the image has neither CMD nor ENTRYPOINT")
    return [str(a) for a in argv]


def container_env(
    profile: dict[str, Any], config: dict[str, Any], *, hostname: str, home: str
) -> dict[str, str]:
    env: dict[str, str] = {"PATH": DEFAULT_PATH}
    for item in config.get("Env") or []:
        key, sep, value = str(item).partition("=")
        if sep:
            env[key] = value
    env.update({"HOSTNAME": hostname, "HOME": home, "container": "rcontainer-bwrap"})
    if profile.get("tty"):
        env["TERM"] = "xterm"
    env.update({str(k): str(v) for k, v in (profile.get("env") or {}).items()})
    return env


def capability_args(profile: dict[str, Any], uid: int = 0) -> list[str]:
    """Unprivileged bwrap gives the sandbox no capabilities; add Podman's default set (as
    Podman does for a container's root), minus cap_drop, plus cap_add; privileged: all.
    bwrap makes added capabilities ambient, so a non-root user would keep them across exec:
    such a user gets only the ones the profile adds (Podman's non-root users have none
    effective either)."""
    if profile.get("privileged"):
        return ["--cap-add", "ALL"]
    drop = {c.upper().removeprefix("CAP_") for c in profile.get("cap_drop") or []}
    add = [c.upper().removeprefix("CAP_") for c in profile.get("cap_add") or []]
    if "ALL" in add:
        return ["--cap-add", "ALL"]
    caps = [] if "ALL" in drop or uid != 0 else [c for c in DEFAULT_CAPS if c not in drop]
    caps += [c for c in add if c not in caps]
    out: list[str] = []
    for c in caps:
        out += ["--cap-add", f"CAP_{c}"]
    return out


def bwrap_args(
    *,
    profile: dict[str, Any],
    root_dir: str,
    rootfs_dir: str,
    image_dirs: list[str],
    hostname: str,
    uid: int,
    gid: int,
    env: dict[str, str],
    workdir: str,
    command: list[str],
    extra: tuple[str, ...] | list[str] = (),
) -> list[str]:
    """bubblewrap's options and the command (everything after the ``bwrap`` word)."""
    mode = (profile.get("network") or {}).get("mode") or "none"
    args = [
        "--unshare-user",
        "--unshare-pid",
        "--unshare-ipc",
        "--unshare-uts",
        "--unshare-cgroup-try",
    ]
    if mode != "host":
        args.append("--unshare-net")
    # --as-pid-1: the command is the namespace's init, as in a Podman container without
    # --init; killing it kills every process of the container.
    args += ["--die-with-parent", "--as-pid-1", "--new-session"]
    args += ["--uid", str(uid), "--gid", str(gid), "--hostname", hostname]
    args += ["--bind", root_dir, "/"]
    for name in image_dirs:
        args += ["--ro-bind", f"{rootfs_dir}/{name}", f"/{name}"]
    args += ["--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--tmpfs", "/dev/shm"]
    args += ["--perms", "1777", "--tmpfs", "/tmp", "--perms", "0755", "--tmpfs", "/run"]
    for vol in profile.get("volumes") or []:
        target = vol["target"]
        if vol["type"] == "tmpfs":
            if vol.get("size"):
                args += ["--size", str(int(vol["size"]))]
            if vol.get("mode") is not None:
                args += ["--perms", format(int(vol["mode"]), "o")]
            args += ["--tmpfs", target]
            if vol.get("read_only"):
                args += ["--remount-ro", target]
        elif vol["type"] == "bind":
            args += ["--ro-bind" if vol.get("read_only") else "--bind", str(vol["source"]), target]
        else:
            raise BadInput(f"volume {target}: bwrap cannot mount named volumes (bind and tmpfs mounts work)")
    if profile.get("read_only"):
        args += ["--remount-ro", "/"]
    args.append("--clearenv")
    for key, value in env.items():
        args += ["--setenv", key, value]
    args += ["--chdir", workdir]
    args += capability_args(profile, uid)
    args += list(extra)
    args += ["--", *command]
    return args


def _first_component(path: str) -> str:
    return path.strip("/").split("/", 1)[0]


def _hosts_text(hostname: str, add_hosts: dict[str, str]) -> str:
    lines = ["127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback", f"127.0.1.1\t{hostname}"]
    lines += [f"{ip}\t{host}" for host, ip in add_hosts.items()]
    return "\n".join(lines) + "\n"


def _copy_readable(src: str, dst: str) -> None:
    """copy2, also for files the image made unreadable to their owner (e.g. /etc/gshadow,
    mode 000): we own the cached copy, so lend ourselves read permission for the copy."""
    try:
        shutil.copy2(src, dst)
    except PermissionError:
        mode = os.stat(src).st_mode
        os.chmod(src, mode | 0o400)
        try:
            shutil.copy2(src, dst)
        finally:
            os.chmod(src, mode)


def populate_root(root: Path, image: Path, profile: dict[str, Any], *, hostname: str) -> list[str]:
    """Make the container's own root: mount points, the image's top-level symlinks, copies of
    the small writable folders, /etc/hostname and /etc/hosts. Returns the image folders to
    bind read-only over it."""
    root.mkdir(parents=True, exist_ok=True, mode=0o755)
    bound: list[str] = []
    for entry in sorted(os.listdir(image)):
        src = image / entry
        dst = root / entry
        if entry in MOUNTED:
            dst.mkdir(exist_ok=True)
        elif src.is_symlink():
            os.symlink(os.readlink(src), dst)
        elif src.is_dir():
            if entry in COPIED and (entry == "etc" or rootfs.tree_size(src) <= COPY_LIMIT):
                shutil.copytree(src, dst, symlinks=True, copy_function=_copy_readable)
                os.chmod(dst, os.stat(dst).st_mode | 0o700)
            else:
                dst.mkdir(exist_ok=True)
                bound.append(entry)
        elif src.is_file():
            shutil.copy2(src, dst)
    for name in MOUNTED:
        (root / name).mkdir(exist_ok=True)
    etc = root / "etc"
    if etc.is_symlink() or not etc.exists():
        with contextlib.suppress(FileNotFoundError):
            etc.unlink()
        etc.mkdir()
    net = profile.get("network") or {}
    (etc / "hostname").write_text(hostname + "\n")
    with contextlib.suppress(OSError):
        (etc / "hosts").unlink()
    (etc / "hosts").write_text(_hosts_text(hostname, dict(net.get("add_hosts") or {})))
    dns = list(net.get("dns") or [])
    resolv = etc / "resolv.conf"
    if dns or net.get("mode") == "host":
        with contextlib.suppress(OSError):
            resolv.unlink()
        if dns:
            resolv.write_text("".join(f"nameserver {d}\n" for d in dns))
        else:
            with contextlib.suppress(OSError):
                shutil.copyfile("/etc/resolv.conf", resolv)
    return bound


def prepare_targets(root: Path, image: Path, bound: list[str], profile: dict[str, Any], workdir: str) -> None:
    """Mount targets and the working folder must exist before bwrap runs: under the image's
    read-only folders it cannot create them, so say so now; elsewhere make them in the
    container's own root."""
    for vol in profile.get("volumes") or []:
        target = vol["target"]
        if _first_component(target) in bound:
            if not rootfs.resolve_in_root(image, target.strip("/")).exists():
                raise BadInput(
                    f"volume target {target} does not exist in the image, and bwrap keeps "
                    f"/{_first_component(target)} read-only",
                    hint="mount it under a folder of its own (e.g. /data), /etc, /var, /home or /tmp",
                )
            continue
        if _first_component(target) in ("tmp", "run", "dev", "proc"):
            continue  # inside a tmpfs bwrap makes: it creates the target itself
        dest = rootfs.resolve_in_root(root, target.strip("/"))
        source = Path(str(vol.get("source") or ""))
        if vol["type"] == "bind" and source.exists() and not source.is_dir():
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.touch(exist_ok=True)
        else:
            dest.mkdir(parents=True, exist_ok=True)
    if _first_component(workdir) in bound:
        if not rootfs.resolve_in_root(image, workdir.strip("/")).is_dir():
            raise BadInput(f"working folder {workdir} does not exist in the image")
    elif _first_component(workdir) not in MOUNTED:
        rootfs.resolve_in_root(root, workdir.strip("/")).mkdir(parents=True, exist_ok=True)


# -- pid namespace -----------------------------------------------------------------------------
def namespace_pids(init_pid: int) -> list[int]:
    """Every process in the PID namespace whose init is ``init_pid`` (init first)."""
    try:
        target = os.readlink(f"/proc/{init_pid}/ns/pid")
    except OSError:
        return []
    out = [init_pid]
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == init_pid:
            continue
        with contextlib.suppress(OSError):
            if os.readlink(f"/proc/{entry}/ns/pid") == target:
                out.append(int(entry))
    return out


def _send(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


# -- the backend -------------------------------------------------------------------------------
class BwrapBackend:
    family = "bwrap"
    capabilities = CAPABILITIES

    def __init__(self, *, images: ImageSource) -> None:
        self.images = images

    def ensure_image(self, profile: dict[str, Any], progress: ProgressFn | None) -> tuple[str, str]:
        """The unpacked tree of an immutable image is cached by id: when the cache knows the
        reference, the image source is not asked at all."""
        if not profile.get("build") and profile.get("pull") in ("missing", "never"):
            image_id = rootfs.cached_ref(profile["image"])
            if image_id:
                return profile["image"], image_id
        return self.images.ensure(profile, progress)

    def remove_orphan(self, name: str, scope: str) -> bool:
        return False  # the record is written before the supervisor starts: no orphans

    def run_healthcheck(self, rec: Record) -> None:
        return None  # no healthchecks (capabilities); validate refuses a profile with one

    # paths of one container
    @staticmethod
    def _dir(rec: Record) -> Path:
        return Path(rec.backend["dir"])

    def _runtime(self, rec: Record) -> dict[str, Any]:
        with contextlib.suppress(OSError, ValueError):
            return json.loads((self._dir(rec) / "runtime.json").read_text())
        return {}

    def _bwrap(self) -> str:
        path = shutil.which("bwrap")
        if path is None:
            raise RuntimeUnavailable(
                "bubblewrap (bwrap) is not installed", hint="install it: apt-get install bubblewrap"
            )
        return path

    # -- create ------------------------------------------------------------------------------
    def create(
        self,
        rec: Record,
        profile: dict[str, Any],
        image: str,
        rclass: RuntimeClass,
        labels: dict[str, str],
    ) -> str:
        bwrap = self._bwrap()
        image_id = rootfs.normal_id(image)
        tree = rootfs.ensure(self.images, image_id)
        config = rootfs.image_config(self.images, image_id)
        if rec.image:
            rootfs.remember_ref(rec.image, image_id)
        cid = secrets.token_hex(32)
        cdir = paths.scope_dir("containers") / ".bwrap" / f"{rec.name}-{cid[:12]}"
        hostname = (profile.get("network") or {}).get("hostname") or cid[:12]
        try:
            cdir.mkdir(parents=True, mode=0o700)
            root = cdir / "root"
            bound = populate_root(root, tree, profile, hostname=hostname)
            uid, gid, home = resolve_user(root / "etc", profile.get("user") or config.get("User") or None)
            workdir = profile.get("workdir") or config.get("WorkingDir") or "/"
            prepare_targets(root, tree, bound, profile, workdir)
            env = container_env(profile, config, hostname=hostname, home=home)
            args = bwrap_args(
                profile=profile,
                root_dir=str(root),
                rootfs_dir=str(tree),
                image_dirs=bound,
                hostname=hostname,
                uid=uid,
                gid=gid,
                env=env,
                workdir=workdir,
                command=container_command(profile, config),
                extra=rclass.bwrap_args,
            )
            spec = {
                "bwrap": bwrap,
                "args": args,
                "log_path": rec.log_path,
                "ulimits": profile.get("ulimits") or {},
                "id": cid,
            }
            fd = os.open(cdir / "spec.json", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                json.dump(spec, fh)
        except BaseException:
            rootfs.rmtree(cdir)
            raise
        stop_signal = profile.get("stop_signal") or config.get("StopSignal") or "SIGTERM"
        rec.backend = {
            "id": cid,
            "rootfs": str(tree),
            "dir": str(cdir),
            "hostname": hostname,
            "stop_signal": str(stop_signal),
            "image_config": config,
            "labels": labels,
        }
        return cid

    # -- start -------------------------------------------------------------------------------
    def start(self, rec: Record) -> None:
        cdir = self._dir(rec)
        if not (cdir / "spec.json").exists():
            raise NotFound(f"start {rec.name}: its bubblewrap folder {cdir} is gone")
        runtime = cdir / "runtime.json"
        with contextlib.suppress(FileNotFoundError):
            runtime.unlink()
        start_id = secrets.token_hex(8)
        # the supervisor must find this package whatever its cwd (/): an editable install or
        # a source checkout alike
        pkg_parent = str(Path(rcontainer.__file__).resolve().parent.parent)  # the folder holding the package
        env = {
            "PATH": os.environ.get("PATH", DEFAULT_PATH),
            "PYTHONPATH": os.pathsep.join(p for p in (pkg_parent, os.environ.get("PYTHONPATH")) if p),
            "LANG": "C.UTF-8",
        }
        with open(cdir / "supervisor.log", "ab") as errlog:
            supervisor = subprocess.Popen(
                # -S: no site-packages needed (the supervisor uses the standard library and this
                # package, found through PYTHONPATH); it saves part of every start
                [sys.executable, "-S", "-m", "rcontainer.backends.bwrap.supervisor", str(cdir), start_id],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=errlog,
                cwd="/",
                env=env,
                start_new_session=True,  # the CLI may exit (or get ^C) while the container runs
            )
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            rt = self._runtime(rec)
            if rt.get("start_id") == start_id:
                if rt.get("setup_error"):
                    raise OperationFailed(f"start {rec.name}: {rt['setup_error']}")
                if rt.get("exec_seen") or rt.get("exit_code") is not None:
                    return
            if supervisor.poll() is not None and rt.get("start_id") != start_id:
                text = (cdir / "supervisor.log").read_text(errors="replace").strip().splitlines()[-5:]
                raise OperationFailed(
                    f"start {rec.name}: the bubblewrap supervisor exited with status "
                    f"{supervisor.returncode}: {' '.join(text) or 'no message'}"
                )
            if time.monotonic() > deadline:
                if alive(rt.get("init_pid"), rt.get("init_start")):
                    return  # slow machine: bwrap has not exec'd yet but runs
                raise OperationFailed(
                    f"start {rec.name}: bubblewrap did not start within {START_TIMEOUT:.0f}s"
                )
            time.sleep(0.002)

    # -- looking -----------------------------------------------------------------------------
    def observe(self, rec: Record) -> Observed | None:
        b = rec.backend or {}
        if not b.get("id") or not b.get("dir") or not Path(b["dir"]).is_dir():
            return None
        rt = self._runtime(rec)
        details = {
            "rootfs": b.get("rootfs"),
            "dir": b.get("dir"),
            "hostname": b.get("hostname"),
            "supervisor_pid": rt.get("supervisor_pid"),
            "bwrap_pid": rt.get("bwrap_pid"),
            "pause_method": "freezer" if rt.get("cgroup") else "signal",
        }
        if not rt:
            return Observed(State.CREATED, b["id"], details=details)
        boot = rt.get("boot_id")
        init_alive = alive(rt.get("init_pid"), rt.get("init_start"), boot)
        if not init_alive and rt.get("exit_code") is None and not rt.get("init_pid"):
            # between the supervisor's start and bwrap's first report: starting counts as running
            init_alive = alive(rt.get("supervisor_pid"), rt.get("supervisor_start"), boot)
        if init_alive:
            st = State.PAUSED if rec.paused_by_signal else State.RUNNING
            return Observed(
                st, b["id"], pid=rt.get("init_pid"), started_at=rt.get("started_at"), details=details
            )
        if rt.get("exit_code") is None and alive(rt.get("supervisor_pid"), rt.get("supervisor_start"), boot):
            rt = self._await_exit_code(rec, 1.0)  # the supervisor is writing it right now
        return Observed(
            State.STOPPED,
            b["id"],
            started_at=rt.get("started_at"),
            finished_at=rt.get("finished_at"),
            exit_code=rt.get("exit_code"),
            details=details,
        )

    def observe_all(self, recs: list[Record], scope: str) -> dict[str, Observed]:
        out: dict[str, Observed] = {}
        for rec in recs:
            obs = self.observe(rec)
            if obs is not None:
                out[rec.name] = obs
        return out

    def _await_exit_code(self, rec: Record, timeout: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            rt = self._runtime(rec)
            if rt.get("exit_code") is not None or time.monotonic() > deadline:
                return rt
            if not alive(rt.get("supervisor_pid"), rt.get("supervisor_start"), rt.get("boot_id")):
                return self._runtime(rec)
            time.sleep(0.01)

    def _init(self, rec: Record) -> int | None:
        rt = self._runtime(rec)
        if alive(rt.get("init_pid"), rt.get("init_start"), rt.get("boot_id")):
            return int(rt["init_pid"])
        return None

    def _wait_dead(self, rec: Record, pid: int, timeout: float) -> bool:
        rt = self._runtime(rec)
        deadline = time.monotonic() + timeout
        while alive(pid, rt.get("init_start")):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    # -- transitions -------------------------------------------------------------------------
    def stop(self, rec: Record, timeout: int) -> None:
        pid = self._init(rec)
        if pid is None:
            return
        sig = signal_number(
            (rec.profile or {}).get("stop_signal") or rec.backend.get("stop_signal") or "SIGTERM"
        )
        _send(pid, sig)
        if not self._wait_dead(rec, pid, float(timeout)):
            # SIGKILL to a PID namespace's init kills every process in the namespace
            _send(pid, signals.SIGKILL)
            if not self._wait_dead(rec, pid, 10.0):
                raise OperationFailed(f"stop {rec.name}: process {pid} survived SIGKILL")
        self._await_exit_code(rec, 5.0)

    def kill(self, rec: Record, signal: str) -> None:
        pid = self._init(rec)
        if pid is None:
            raise OperationFailed(f"kill {rec.name}: it is not running")
        _send(pid, signal_number(signal))
        if signal_number(signal) == signals.SIGKILL:
            self._wait_dead(rec, pid, 5.0)
            self._await_exit_code(rec, 2.0)

    def pause(self, rec: Record) -> str:
        rt = self._runtime(rec)
        if rt.get("cgroup") and _freeze(Path(rt["cgroup"]), True):
            return "freezer"
        pid = self._init(rec)
        if pid is None:
            raise OperationFailed(f"pause {rec.name}: it is not running")
        # repeat until no new process appears: one may fork while the others are being stopped
        done: set[int] = set()
        for _ in range(20):
            pids = [p for p in namespace_pids(pid) if p not in done]
            if not pids:
                break
            for p in pids:
                _send(p, signals.SIGSTOP)
            done.update(pids)
        return "signal"

    def unpause(self, rec: Record) -> None:
        rt = self._runtime(rec)
        if rec.pause_method == "freezer" and rt.get("cgroup"):
            _freeze(Path(rt["cgroup"]), False)
            return
        pid = self._init(rec)
        if pid is None:
            return
        for p in namespace_pids(pid):
            _send(p, signals.SIGCONT)

    def remove(self, rec: Record) -> None:
        b = rec.backend or {}
        if not b.get("dir"):
            return
        cdir = Path(b["dir"])
        rt = self._runtime(rec)
        pid = self._init(rec)
        if pid is not None:
            _send(pid, signals.SIGKILL)
            self._wait_dead(rec, pid, 10.0)
        # let the supervisor finish its last write first: it would otherwise write into a
        # folder being deleted
        deadline = time.monotonic() + 5.0
        while alive(rt.get("supervisor_pid"), rt.get("supervisor_start")) and time.monotonic() < deadline:
            time.sleep(0.01)
        if rt.get("cgroup"):
            with contextlib.suppress(OSError):
                os.rmdir(rt["cgroup"])
        rootfs.rmtree(cdir)

    def wait(self, rec: Record, timeout: float | None) -> int | None:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            obs = self.observe(rec)
            if obs is None:
                raise NotFound(f"wait {rec.name}: it was removed")
            if obs.state == State.STOPPED:
                return obs.exit_code
            if deadline is not None and time.monotonic() > deadline:
                return None
            time.sleep(0.05)

    def exec(self, rec: Record, argv: list[str], *, tty: bool, env: dict[str, str]) -> int:
        pid = self._init(rec)
        if pid is None:
            raise OperationFailed(f"exec in {rec.name}: it is not running")
        spec = json.loads((self._dir(rec) / "spec.json").read_text())
        args: list[str] = spec["args"]
        options = args[: args.index("--")]
        cenv = _env_from_args(args)
        cenv.update(env)
        workdir = options[options.index("--chdir") + 1] if "--chdir" in options else "/"
        # the terminal (when there is one) is this process's: nothing to allocate
        return join_and_run(pid, argv, cenv, workdir, net="--unshare-net" in options)


def _env_from_args(args: list[str]) -> dict[str, str]:
    env: dict[str, str] = {}
    end = args.index("--") if "--" in args else len(args)
    i = 0
    while i < end:
        if args[i] == "--setenv":
            env[args[i + 1]] = args[i + 2]
            i += 3
            continue
        i += 1
    return env


NS_GET_PARENT = 0xB702  # _IO(0xb7, 0x2), linux/nsfs.h
CLONE_NEWUSER = 0x10000000


def _user_ns_chain(pid: int) -> list[int]:
    """File descriptors of the user namespaces to enter, outermost first.

    bwrap with ``--uid`` other than 0 nests a second user namespace inside the one it set the
    mounts up in: the container's mount, IPC, UTS and network namespaces belong to the outer
    one, so it must be entered first (``nsenter`` 2.38 enters only the innermost and then
    fails with EPERM), the inner one last."""
    inner = os.open(f"/proc/{pid}/ns/user", os.O_RDONLY | os.O_CLOEXEC)
    own = os.stat("/proc/self/ns/user").st_ino
    try:
        parent = fcntl.ioctl(inner, NS_GET_PARENT)
    except OSError:
        return [inner]
    if os.fstat(parent).st_ino == own:
        os.close(parent)
        return [inner]
    return [parent, inner]


def join_and_run(pid: int, argv: list[str], env: dict[str, str], workdir: str, *, net: bool) -> int:
    """Run ``argv`` inside the namespaces of ``pid`` with this process's stdio; its exit code.

    A child joins the namespaces (setns needs a single-threaded process, and the CLI must stay
    where it is) and forks the command, which is then inside the PID namespace too.
    """
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    try:
        users = _user_ns_chain(pid)
        kinds = ["ipc", "uts"] + (["net"] if net else []) + ["cgroup", "pid", "mnt"]
        others = [os.open(f"/proc/{pid}/ns/{k}", os.O_RDONLY | os.O_CLOEXEC) for k in kinds]
    except OSError as exc:
        raise OperationFailed(f"cannot open the namespaces of process {pid}: {exc.strerror}") from None
    sys.stdout.flush()
    sys.stderr.flush()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the forked child
        code = 126
        try:
            order = [users[0], *others, *users[1:]]
            for fd in order:
                if libc.setns(fd, 0) != 0:
                    err = ctypes.get_errno()
                    name = os.readlink(f"/proc/self/fd/{fd}")
                    os.write(2, f"rcontainer: cannot join {name}: {os.strerror(err)}\n".encode())
                    os._exit(126)
            try:
                os.chdir(workdir)
            except OSError:
                os.chdir("/")
            grandchild = os.fork()
            if grandchild == 0:
                try:
                    os.execvpe(argv[0], argv, env)
                except OSError as exc:
                    os.write(2, f"rcontainer: cannot run {argv[0]}: {exc.strerror}\n".encode())
                    os._exit(127)
            signal_forward = [signals.SIGINT, signals.SIGTERM, signals.SIGHUP, signals.SIGQUIT]
            for sig in signal_forward:
                signals.signal(sig, lambda s, f: _send(grandchild, s))
            _, status = os.waitpid(grandchild, 0)
            code = os.waitstatus_to_exitcode(status)
            code = 128 - code if code < 0 else code
        finally:
            os._exit(code)
    for fd in users + others:
        os.close(fd)
    while True:
        try:
            _, status = os.waitpid(child, 0)
            break
        except InterruptedError:  # pragma: no cover - PEP 475 retries; kept for clarity
            continue
    code = os.waitstatus_to_exitcode(status)
    return 128 - code if code < 0 else code


def _freeze(cgroup: Path, frozen: bool) -> bool:
    """cgroup v2 freezer: only where the user owns a delegated cgroup (not on cgroup v1 or
    hybrid hosts, where the supervisor records no cgroup and pause falls back to SIGSTOP)."""
    try:
        (cgroup / "cgroup.freeze").write_text("1" if frozen else "0")
    except OSError:
        return False
    deadline = time.monotonic() + 2.0
    while frozen and time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            if "frozen 1" in (cgroup / "cgroup.events").read_text():
                break
        time.sleep(0.01)
    return True


def kill_all(state_root: Path) -> int:
    """SIGKILL every live bubblewrap container whose folder is under ``state_root`` (test
    beds and ``rcontainer`` state folders being thrown away: no daemon will do it); how many."""
    killed = 0
    for runtime in state_root.glob("**/.bwrap/*/runtime.json"):
        try:
            rt = json.loads(runtime.read_text())
        except (OSError, ValueError):
            continue
        if alive(rt.get("init_pid"), rt.get("init_start"), rt.get("boot_id")):
            _send(int(rt["init_pid"]), signals.SIGKILL)
            killed += 1
    return killed
