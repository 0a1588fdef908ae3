"""Unpacked image root filesystems for the bubblewrap family.

One copy per image id under ``paths.rootfs_cache_dir()/<image-id>``, built once and shared
read-only by every container of that image (a container's writes go to its own root, see
``rcontainer.backends.bwrap.root``). The copy is made from Podman's export of a throwaway container
(a flattened tar), extracted here as the unprivileged user: ownership is ignored (we cannot
chown), device nodes are skipped (bwrap's ``--dev`` provides /dev), set-id bits are dropped.

Building is atomic: the tree is extracted into a temporary folder beside its final place and
renamed into place, under a file lock, so two concurrent creates build it once and a reader
never sees half a tree. The cache is the user's alone: its folders are 0700 and the files
rcontainer writes beside the trees 0600 (bwrap runs as the user, and every user of a
container maps to the user outside, so nothing else needs to read them).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from rcontainer import paths
from rcontainer.backends import inspect_shapes
from rcontainer.errors import OperationFailed
from rcontainer.files import ensure_dir

if TYPE_CHECKING:
    from rcontainer.backends.base import ImageSource

WHITEOUT = ".wh."
OPAQUE = ".wh..wh..opq"
CONFIG = "image-config.json"  # beside the tree: <id>.image-config.json
MAX_SYMLINKS = 40


def normal_id(image_id: str) -> str:
    """An image id without its ``sha256:`` prefix (the cache folder's name)."""
    return image_id.split(":", 1)[1] if image_id.startswith("sha256:") else image_id


def rootfs_path(image_id: str) -> Path:
    return paths.rootfs_cache_dir() / normal_id(image_id)


class _ChunkReader:
    """A read()-able file over an iterator of byte chunks (Podman's export stream, from LibpodClient.stream_bytes)."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._it: Iterator[bytes] = iter(chunks)
        self._buf = b""

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buf) < size:
            try:
                chunk = next(self._it)
            except StopIteration:
                break
            if chunk:
                self._buf += chunk
        if size < 0:
            out, self._buf = self._buf, b""
        else:
            out, self._buf = self._buf[:size], self._buf[size:]
        return out


def clean_member_path(name: str) -> str | None:
    """A tar member's path relative to the root, or None when it is the root itself or
    tries to leave it (``..``)."""
    parts = []
    for part in name.replace("\\", "/").split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            return None
        parts.append(part)
    return "/".join(parts) if parts else None


def resolve_in_root(root: Path, rel: str) -> Path:
    """The host path of ``rel`` inside ``root`` with symlinks followed as they would be inside
    the container (absolute links are relative to ``root``): a member under a symlinked folder
    can never be written outside the tree."""
    parts = [p for p in rel.split("/") if p and p != "."]
    done: list[str] = []
    hops = 0
    while parts:
        part = parts.pop(0)
        if part == "..":
            if done:
                done.pop()
            continue
        candidate = root.joinpath(*done, part)
        if candidate.is_symlink():
            hops += 1
            if hops > MAX_SYMLINKS:
                raise OperationFailed(f"too many symbolic links under {root} resolving {rel}")
            target = os.readlink(candidate)
            if target.startswith("/"):
                done = []
            parts = [p for p in target.split("/") if p and p != "."] + parts
            continue
        done.append(part)
    return root.joinpath(*done)


def _remove(path: Path) -> None:
    if path.is_symlink() or not path.is_dir():
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    else:
        rmtree(path)


def extract(fileobj: IO[bytes] | _ChunkReader, dest: Path) -> None:
    """Extract a (streamed) tar into ``dest`` as an unprivileged user.

    Folders are kept owner-writable while extracting (a read-only folder in the image must
    still receive its entries) and get their modes back at the end. OCI whiteouts remove what
    they name (an export is already flattened, so they are rare).
    """
    import tarfile  # here: only unpacking needs it, and exec imports this module

    dest.mkdir(parents=True, exist_ok=True)
    dir_modes: dict[Path, int] = {}
    with tarfile.open(fileobj=fileobj, mode="r|*") as tar:  # type: ignore[call-overload]
        for member in tar:
            rel = clean_member_path(member.name)
            if rel is None:
                continue  # the root itself (its mode is ours to choose) or a path leaving it
            head, _, base = rel.rpartition("/")
            parent = resolve_in_root(dest, head) if head else dest
            if not str(parent).startswith(str(dest)):
                continue  # pragma: no cover - resolve_in_root never leaves dest
            if base == OPAQUE:
                if parent.is_dir():
                    for child in parent.iterdir():
                        _remove(child)
                continue
            if base.startswith(WHITEOUT):
                _remove(parent / base[len(WHITEOUT) :])
                continue
            parent.mkdir(parents=True, exist_ok=True)
            target = parent / base
            mode = member.mode & 0o1777  # no set-id bits: meaningless (and refused) rootless
            if member.isdir():
                if target.is_symlink() or (target.exists() and not target.is_dir()):
                    _remove(target)
                target.mkdir(exist_ok=True)
                os.chmod(target, mode | 0o700)
                dir_modes[target] = mode
                continue
            if target.is_symlink() or target.exists():
                _remove(target)
            if member.issym():
                os.symlink(member.linkname, target)
            elif member.islnk():
                link_rel = clean_member_path(member.linkname)
                source = resolve_in_root(dest, link_rel) if link_rel else None
                if source is None or not source.is_file():
                    continue
                try:
                    os.link(source, target)
                except OSError:
                    shutil.copy2(source, target)
            elif member.isfile():
                src = tar.extractfile(member)
                assert src is not None
                with open(target, "wb") as out:
                    shutil.copyfileobj(src, out, 1 << 20)
                os.chmod(target, mode)
                with contextlib.suppress(OSError):
                    os.utime(target, (member.mtime, member.mtime))
            elif member.isfifo():
                os.mkfifo(target, mode)
            # character and block devices: skipped (an unprivileged user cannot make them)
    # deepest first, so a read-only parent does not stop its children being fixed
    for path in sorted(dir_modes, key=lambda p: len(p.parts), reverse=True):
        with contextlib.suppress(OSError):
            os.chmod(path, dir_modes[path])


def _make_writable(path: str) -> None:
    with contextlib.suppress(OSError):
        st = os.lstat(path)
        if stat.S_ISDIR(st.st_mode):
            os.chmod(path, st.st_mode | 0o700)


def rmtree(path: Path) -> None:
    """Remove a tree even where the image made folders read-only for their owner."""

    def onerror(func, p, exc_info) -> None:  # noqa: ANN001 - shutil's callback signature
        _make_writable(os.path.dirname(p))
        _make_writable(p)
        try:
            if os.path.isdir(p) and not os.path.islink(p):
                shutil.rmtree(p, onerror=onerror)
            else:
                os.unlink(p)
        except FileNotFoundError:
            pass

    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.exists():
        shutil.rmtree(path, onerror=onerror)


def tree_size(path: Path) -> int:
    total = 0
    for dirpath, dirnames, filenames in os.walk(path):
        for name in filenames + dirnames:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(dirpath, name)).st_blocks * 512
    return total


@contextlib.contextmanager
def _lock(image_id: str) -> Iterator[None]:
    folder = paths.rootfs_cache_dir()
    ensure_dir(folder)
    fd = os.open(folder / f".{normal_id(image_id)}.lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # a build takes a second or so: waiting is right
        yield
    finally:
        os.close(fd)


def _replace_private(path: Path, text: str) -> None:
    """Write ``text`` to a 0600 temporary file beside ``path`` and rename it over ``path``."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    os.replace(tmp, path)


def config_path(image_id: str) -> Path:
    return paths.rootfs_cache_dir() / f"{normal_id(image_id)}.{CONFIG}"


def image_config(images: ImageSource, image_id: str) -> dict[str, Any]:
    """Cmd, Entrypoint, Env, WorkingDir, User and StopSignal of the image (kept beside the
    tree, so a second container of the image asks the image source nothing), in one shape
    whatever Podman gave (``inspect_shapes.image_config``)."""
    cached = config_path(image_id)
    with contextlib.suppress(OSError, ValueError, TypeError):
        return inspect_shapes.image_config(json.loads(cached.read_text()))
    cfg = inspect_shapes.image_config(images.config(image_id))
    out = {key: cfg.get(key) for key in ("Cmd", "Entrypoint", "Env", "WorkingDir", "User", "StopSignal")}
    ensure_dir(cached.parent)
    _replace_private(cached, json.dumps(out))
    return out


def ensure(images: ImageSource, image_id: str) -> Path:
    """The image's unpacked root filesystem, built on first use (the only time the image
    source is asked)."""
    final = rootfs_path(image_id)
    if final.is_dir():
        return final
    with _lock(image_id):
        if final.is_dir():  # another process built it while we waited
            return final
        import tempfile

        tmp = Path(tempfile.mkdtemp(dir=final.parent, prefix=f".{final.name[:12]}.", suffix=".tmp"))
        try:
            _export_into(images, image_id, tmp)
            os.chmod(tmp, 0o700)
            os.rename(tmp, final)
        except BaseException:
            rmtree(tmp)
            raise
    return final


def _export_into(images: ImageSource, image_id: str, dest: Path) -> None:
    import tarfile

    try:
        extract(_ChunkReader(images.export_rootfs(image_id)), dest)
    except (tarfile.TarError, OSError) as exc:
        raise OperationFailed(f"cannot unpack image {image_id[:12]}: {exc}") from None


REFS = "refs.json"


def remember_ref(ref: str, image_id: str) -> None:
    """Note which image id a reference named when a container was made from it."""
    path = paths.rootfs_cache_dir() / REFS
    with contextlib.suppress(OSError, ValueError):
        refs = json.loads(path.read_text())
        if refs.get(ref) == normal_id(image_id):
            return
    refs = _read_refs()
    refs[ref] = normal_id(image_id)
    with contextlib.suppress(OSError):
        _replace_private(path, json.dumps(refs, sort_keys=True))


def _read_refs() -> dict[str, str]:
    try:
        data = json.loads((paths.rootfs_cache_dir() / REFS).read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def cached_ref(ref: str) -> str | None:
    """The image id ``ref`` named last time, when its tree and configuration are cached: a
    bwrap ``up`` with ``pull: missing`` or ``never`` can then skip Podman (and the ~0.2 s
    import of podman-py) entirely."""
    image_id = _read_refs().get(ref)
    if image_id and rootfs_path(image_id).is_dir() and config_path(image_id).is_file():
        return image_id
    return None


def cached_ids() -> list[str]:
    folder = paths.rootfs_cache_dir()
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))


def prune_rootfs(in_use_ids: Iterable[str]) -> int:
    """Remove every cached tree no container record uses (and leftovers of killed builds);
    the bytes freed."""
    keep = {normal_id(i) for i in in_use_ids if i}
    folder = paths.rootfs_cache_dir()
    if not folder.is_dir():
        return 0
    freed = 0
    for entry in folder.iterdir():
        if entry.name.startswith(".") and entry.name.endswith(".lock"):
            continue
        image = entry.name.split(".", 1)[0] if not entry.name.startswith(".") else ""
        if entry.is_dir() and not entry.name.startswith(".") and image in keep:
            continue
        if entry.is_file() and image in keep:
            continue
        if entry.name.startswith(".") and entry.name.endswith(".tmp"):
            # a build in progress holds the image's lock; only take folders nobody is building
            ident = entry.name[1:].split(".", 1)[0]
            if _busy(ident):
                continue
        if entry.name == REFS:
            continue
        freed += tree_size(entry) if entry.is_dir() else entry.lstat().st_blocks * 512
        rmtree(entry)
    refs = _read_refs()
    if any(v not in keep for v in refs.values()):
        _replace_private(
            folder / REFS, json.dumps({k: v for k, v in refs.items() if v in keep}, sort_keys=True)
        )
    return freed


def _busy(id_prefix: str) -> bool:
    folder = paths.rootfs_cache_dir()
    for lock in folder.glob(f".{id_prefix}*.lock"):
        fd = os.open(lock, os.O_RDWR)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                return True
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
    return False
