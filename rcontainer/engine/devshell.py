"""Dev shells: a profile's ``home:`` and ``host:``, turned into what the runtime gets at create
and what a shell gets at entry.

At create (``runtime_data``) the home becomes a bind mount at your home's path (``shared``:
your home itself; ``isolated``: a folder of the container's own under rcontainer's data
folder, seeded from the image's /etc/skel at the first shell; ``overlay``: your home under a
layer of the container's own; a path: that folder), ``user`` runs the container as you
(Podman's keep-id, your name in its /etc/passwd, ``HOME``), ``timezone`` gives it the host's
/etc/localtime, and ``display``/``audio``/``ssh-agent`` bind the sockets the environment of
the command that creates it names: never found by looking around the host. What was decided is
kept in the record (``Record.dev_shell``) and shown by ``inspect``; it is not part of the
config hash, so a new agent socket path does not recreate the box.

At entry (``entry``) a shell gets the caller's time zone and locale variables, starts in the
caller's folder when that is inside the home (else in the home), and prefers the caller's
login shell: reading the caller's own environment and passwd entry, no scanning.
"""

from __future__ import annotations

import os
import pwd
from pathlib import Path
from typing import Any

from rcontainer import paths
from rcontainer.backends.base import ExecOptions
from rcontainer.container import Record
from rcontainer.errors import BadInput

HOST_DIR = "/run/rcontainer-host"  # where host sockets appear inside
SEED = "seed-pending"  # beside an isolated home until its first shell copied /etc/skel in
LOCALE_VARS = ("LANG", "LANGUAGE", "LC_ALL", "LC_CTYPE", "LC_MESSAGES", "LC_COLLATE", "LC_NUMERIC", "LC_TIME")

# Run by sh at a dev shell's entry: $1 the folder to start in ("" stays), $2 "seed" to copy the
# image's /etc/skel into a new home, $3 the preferred shell (the caller's), $4 the program
# asked for ("" picks: the preferred shell, else bash, else sh); the rest are its arguments.
ENTER = (
    "d=$1 s=$2 p=$3 x=$4; shift 4; "
    'if [ "$s" = seed ] && [ -d /etc/skel ]; then cp -a /etc/skel/. "$HOME"/ 2>/dev/null; fi; '
    'if [ -n "$d" ]; then cd "$d" 2>/dev/null || cd "$HOME" 2>/dev/null; fi; '
    'if [ -n "$x" ]; then exec "$x" "$@"; fi; '
    'if [ -n "$p" ] && command -v "$p" >/dev/null 2>&1; then exec "$p" "$@"; fi; '
    'if command -v bash >/dev/null 2>&1; then exec bash "$@"; fi; '
    'exec sh "$@"'
)


def is_dev_shell(data: dict[str, Any]) -> bool:
    return bool(data.get("home") or data.get("host"))


def _bind(source: str, target: str, *, read_only: bool = False, **extra: Any) -> dict[str, Any]:
    return {"type": "bind", "source": source, "target": target, "read_only": read_only, **extra}


def home_folders(key: str, policy: str) -> dict[str, str]:
    """The folders rcontainer keeps for a home policy (none for shared or a path)."""
    base = paths.dev_home_dir(key)
    if policy == "isolated":
        return {"home": str(base / "home")}
    if policy == "overlay":
        return {"upper": str(base / "upper"), "work": str(base / "work")}
    return {}


def runtime_data(data: dict[str, Any], key: str, notices: list[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The data the backend creates the container from, and what ``inspect`` shows of it."""
    home, host = data.get("home"), list(data.get("host") or [])
    target = str(paths.host_home())
    volumes = list(data.get("volumes") or [])
    env = dict(data.get("env") or {})
    out = {**data}
    info: dict[str, Any] = {"host": {}}
    if home and (not target.startswith("/") or target == "/"):
        raise BadInput(
            f"cannot create {key}: its home would be mounted at {target!r}",
            hint="set HOME to your home folder",
        )
    if (home or "user" in host) and any(c in target for c in ":\n\0$"):
        # it becomes a field of the container's /etc/passwd line (and Podman expands $ there)
        raise BadInput(
            f"cannot create {key}: your home's path {target!r} cannot be written in /etc/passwd "
            "(it holds ':', '$' or a line break)",
            hint="set HOME to a plainer path",
        )
    if home:
        if any(v.get("target") == target for v in volumes):
            raise BadInput(f"{key}: home: {home} and a volume both mount {target}", hint="drop one of them")
        folders = home_folders(key, home)
        for folder in folders.values():
            Path(folder).mkdir(mode=0o700, parents=True, exist_ok=True)
        if home == "shared":
            volumes.append(_bind(os.path.realpath(target), target))
        elif home == "isolated":
            fresh = not any(os.scandir(folders["home"]))
            if fresh:
                (paths.dev_home_dir(key) / SEED).touch()
            volumes.append(_bind(folders["home"], target))
        elif home == "overlay":
            volumes.append(_bind(os.path.realpath(target), target, overlay=folders))
        else:
            if not os.path.isdir(home):
                raise BadInput(
                    f"cannot create {key}: its home folder {home} does not exist", hint=f"mkdir -p {home}"
                )
            volumes.append(_bind(home, target))
        env["HOME"] = target
        info["home"] = {"policy": home, "path": target, **folders}
        if home not in ("shared", "isolated", "overlay"):
            info["home"]["source"] = home
    if "user" in host:
        me = pwd.getpwuid(os.getuid())
        out["userns"] = "keep-id"
        out["user"] = f"{os.getuid()}:{os.getgid()}"
        out["passwd_entry"] = f"{me.pw_name}:*:{os.getuid()}:{os.getgid()}::{target}:/bin/sh"
        out["group_entry"] = f"{_group_name(os.getgid(), me.pw_name)}:x:{os.getgid()}:"
        env.setdefault("HOME", target)
        env.setdefault("USER", me.pw_name)
        info["host"]["user"] = {
            "name": me.pw_name,
            "uid": os.getuid(),
            "gid": os.getgid(),
            "shell": me.pw_shell,
        }
    if "timezone" in host:
        out["timezone"] = "local"
        info["host"]["timezone"] = _zone_name()
    for what in ("cwd", "locale"):
        if what in host:
            info["host"][what] = "at each shell's entry"
    for what in ("display", "audio", "ssh-agent"):
        if what in host:
            bound = _sockets(what)
            if not bound:
                notices.append(f"{key}: host: {what} asked for, but {_NEEDS[what]}; nothing bound")
            for source, dest, var, value in bound:
                volumes.append(_bind(source, dest, read_only=os.path.isdir(source)))
                if var:
                    env[var] = value
            info["host"][what] = {dest: source for source, dest, _, _ in bound} or "not available at create"
    out["volumes"] = volumes
    out["env"] = env
    return out, info


_NEEDS = {
    "display": "neither DISPLAY nor WAYLAND_DISPLAY names a socket here",
    "audio": "no PulseAudio or PipeWire socket is in $XDG_RUNTIME_DIR",
    "ssh-agent": "SSH_AUTH_SOCK is not set or names no socket",
}


def _group_name(gid: int, fallback: str) -> str:
    import grp

    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return fallback


def _zone_name() -> str:
    """The host's zone (``/etc/localtime``'s target under zoneinfo), for ``inspect``."""
    target = os.path.realpath("/etc/localtime")
    _, sep, zone = target.partition("/zoneinfo/")
    return zone if sep else target


def _socket(path: str | None) -> str | None:
    import stat

    try:
        return path if path and stat.S_ISSOCK(os.stat(path).st_mode) else None
    except OSError:
        return None


def _sockets(what: str) -> list[tuple[str, str, str, str]]:
    """(host path, path inside, variable, its value) for each socket ``what`` binds, from the
    variables that name them and the fixed places under ``$XDG_RUNTIME_DIR``."""
    runtime = os.environ.get("XDG_RUNTIME_DIR") or ""
    out: list[tuple[str, str, str, str]] = []
    if what == "ssh-agent":
        sock = _socket(os.environ.get("SSH_AUTH_SOCK"))
        if sock:
            out.append((sock, f"{HOST_DIR}/ssh-agent.sock", "SSH_AUTH_SOCK", f"{HOST_DIR}/ssh-agent.sock"))
    elif what == "display":
        display = os.environ.get("DISPLAY") or ""
        if display and os.path.isdir("/tmp/.X11-unix"):
            out.append(("/tmp/.X11-unix", "/tmp/.X11-unix", "DISPLAY", display))
            auth = os.environ.get("XAUTHORITY")
            if auth and os.path.isfile(auth):
                out.append((auth, f"{HOST_DIR}/Xauthority", "XAUTHORITY", f"{HOST_DIR}/Xauthority"))
        wayland = os.environ.get("WAYLAND_DISPLAY") or ""
        sock = _socket(wayland if wayland.startswith("/") else (f"{runtime}/{wayland}" if wayland else None))
        if sock:
            out.append((sock, f"{HOST_DIR}/wayland", "WAYLAND_DISPLAY", f"{HOST_DIR}/wayland"))
    elif what == "audio" and runtime:
        pulse = _socket(f"{runtime}/pulse/native")
        if pulse:
            out.append((pulse, f"{HOST_DIR}/pulse", "PULSE_SERVER", f"unix:{HOST_DIR}/pulse"))
        pipewire = _socket(f"{runtime}/pipewire-0")
        if pipewire:
            out.append((pipewire, f"{HOST_DIR}/pipewire-0", "PIPEWIRE_REMOTE", f"{HOST_DIR}/pipewire-0"))
    return out


def entry(
    rec: Record, args: list[str], program: str | None, how: ExecOptions, cwd: str | None = None
) -> tuple[list[str], ExecOptions]:
    """A dev shell's command line and options at entry (the record made by ``runtime_data``)."""
    info = rec.dev_shell or {}
    host = info.get("host") or {}
    target = str((info.get("home") or {}).get("path") or "")
    env: dict[str, str] = {}
    if "timezone" in host and os.environ.get("TZ"):
        env["TZ"] = os.environ["TZ"]
    if "locale" in host:
        env.update({k: os.environ[k] for k in LOCALE_VARS if os.environ.get(k)})
    folder = ""
    if "cwd" in host and how.workdir is None:
        here = cwd if cwd is not None else _cwd()
        home = target or str(paths.host_home())
        inside = here and (here == home or here.startswith(home.rstrip("/") + "/"))
        folder = here if inside else (target or "")
    seed = ""
    marker = paths.dev_home_dir(rec.key) / SEED
    if (info.get("home") or {}).get("policy") == "isolated" and marker.exists():
        seed = "seed"
        marker.unlink(missing_ok=True)
    preferred = os.path.basename(str((host.get("user") or {}).get("shell") or ""))
    chosen = program or rec.profile.get("shell") or ""
    argv = ["sh", "-c", ENTER, "sh", folder, seed, preferred, str(chosen), *args]
    return argv, how.replaced(env={**env, **how.env})


def _cwd() -> str:
    try:
        return os.getcwd()
    except OSError:
        return ""


def forget_home(key: str) -> None:
    """``rm --purge``: the container's own home folder and overlay layer go with it."""
    base = paths.dev_home_dir(key)
    if base.exists():
        import shutil  # here: create imports this module for every container (~2 ms)

        shutil.rmtree(base, onerror=_writable_retry)


def _writable_retry(func: Any, path: str, _exc: Any) -> None:
    """A file the shell made read-only (or a folder without write permission) still goes."""
    parent = os.path.dirname(path)
    os.chmod(parent, 0o700)
    if os.path.isdir(path) and not os.path.islink(path):
        import shutil

        os.chmod(path, 0o700)
        shutil.rmtree(path, onerror=_writable_retry)
    else:
        func(path)
