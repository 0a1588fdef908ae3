"""A container's own root: the tree bwrap binds at / before the image's folders go over it.

The image's unpacked tree (``rootfs``) is shared by every container of that image and never
written. Each container gets a root of its own holding the mount points, the image's top-level
symlinks and files, copies of the small folders a container writes to (/etc, /root, /home,
/var, ...) and the files rcontainer writes for it (/etc/hostname, /etc/hosts, and
/etc/resolv.conf with host networking or the profile's DNS servers); every other top-level
folder of the image is bound over it read-only.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path
from typing import Any

from rcontainer.backends.bwrap import rootfs
from rcontainer.errors import BadInput

# Mount points bwrap fills itself; never bound from the image.
MOUNTED = ("proc", "dev", "sys", "tmp", "run")
# Top-level folders copied into the container's own root so it can write there (they are
# small in images); everything else is bound read-only from the shared cache.
COPIED = ("etc", "root", "home", "var", "srv", "mnt", "media")
COPY_LIMIT = 64 << 20  # a copied folder bigger than this is bound read-only instead


def _first_component(path: str) -> str:
    return path.strip("/").split("/", 1)[0]


def _hosts_text(hostname: str, add_hosts: dict[str, str | list[str]]) -> str:
    lines = ["127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback", f"127.0.1.1\t{hostname}"]
    for host, ips in add_hosts.items():  # one address, or several
        lines += [f"{ip}\t{host}" for ip in ([ips] if isinstance(ips, str) else ips)]
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
    the small writable folders and the network files of /etc. Returns the image folders to
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
    write_network_files(etc, profile.get("network") or {}, hostname)
    return bound


def add_dev_shell_files(etc: Path, profile: dict[str, Any]) -> None:
    """A dev shell's (``rcontainer.engine.devshell``): your passwd and group lines, unless the
    image has that uid or gid already, and the host's zone as /etc/localtime (a copy: the
    image's may be a link into a zoneinfo it does not have)."""
    for name, line in (("passwd", profile.get("passwd_entry")), ("group", profile.get("group_entry"))):
        if not line:
            continue
        file = etc / name
        text = file.read_text() if file.is_file() and not file.is_symlink() else ""
        if any(len(r) > 2 and r[2] == line.split(":")[2] for r in (x.split(":") for x in text.splitlines())):
            continue
        with contextlib.suppress(FileNotFoundError):
            file.unlink()  # written anew: never through a link the image made
        file.write_text(text + ("\n" if text and not text.endswith("\n") else "") + line + "\n")
    if profile.get("timezone") == "local" and os.path.isfile("/etc/localtime"):
        with contextlib.suppress(OSError):
            (etc / "localtime").unlink()
        shutil.copyfile("/etc/localtime", etc / "localtime")


def write_network_files(etc: Path, net: dict[str, Any], hostname: str) -> None:
    """/etc/hostname and /etc/hosts always; /etc/resolv.conf from the profile's DNS servers,
    else the host's with host networking, else the image's own stays. A file is unlinked
    before it is written: the image may have made it a symlink, and writing through that
    would follow it out of the container's root (an absolute link resolves on the host)."""
    for name, text in (
        ("hostname", hostname + "\n"),
        ("hosts", _hosts_text(hostname, dict(net.get("add_hosts") or {}))),
    ):
        with contextlib.suppress(OSError):
            (etc / name).unlink()
        (etc / name).write_text(text)
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
