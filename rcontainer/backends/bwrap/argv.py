"""bubblewrap's command line for one container: options, user, command and environment.

Pure functions of the resolved profile, the image's config and the container's own root (the
image's /etc/passwd and /etc/group name the user): the backend writes their result to the
container's ``spec.json``, and the supervisor hands it to ``bwrap``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rcontainer.backends.inspect_shapes import argv as words
from rcontainer.errors import BadInput

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
    """Entrypoint + command as Docker combines them: a profile entrypoint drops the image's CMD,
    an empty one (``[]``) only clears the image's entrypoint. The image's may come as lists or,
    from an older config, as strings (``inspect_shapes.argv``)."""
    if profile.get("entrypoint"):
        entry = list(profile["entrypoint"])
        cmd = list(profile.get("command") or [])
    else:
        entry = [] if profile.get("entrypoint") is not None else words(config.get("Entrypoint"))
        cmd = list(profile.get("command") or words(config.get("Cmd")))
    argv = entry + cmd
    if not argv:
        raise BadInput("the profile has no command and the image has neither CMD nor ENTRYPOINT")
    return [str(a) for a in argv]


def container_env(
    profile: dict[str, Any], config: dict[str, Any], *, hostname: str, home: str
) -> dict[str, str]:
    """The container's environment, later layers winning: a default PATH, the image's Env,
    what every container is told (HOSTNAME, HOME, ``container``; TERM with a tty), the
    profile's env."""
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
