"""The image root filesystem cache: extraction as an unprivileged user, whiteouts, pruning."""

from __future__ import annotations

import io
import os
import stat
import tarfile
import threading
import time
from pathlib import Path

import pytest

from rcontainer import paths
from rcontainer.backends.bwrap import rootfs


def make_tar(entries: list[tuple]) -> bytes:
    """entries: (name, kind, payload, mode); kind one of file, dir, sym, link, chr, fifo."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, kind, payload, mode in entries:
            info = tarfile.TarInfo(name)
            info.mode = mode
            info.uid = info.gid = 0
            data = None
            if kind == "file":
                data = payload.encode()
                info.size = len(data)
            elif kind == "dir":
                info.type = tarfile.DIRTYPE
            elif kind == "sym":
                info.type, info.linkname = tarfile.SYMTYPE, payload
            elif kind == "link":
                info.type, info.linkname = tarfile.LNKTYPE, payload
            elif kind == "chr":
                info.type, info.devmajor, info.devminor = tarfile.CHRTYPE, 1, 3
            elif kind == "fifo":
                info.type = tarfile.FIFOTYPE
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()


def chunks(data: bytes, size: int = 777):
    for i in range(0, len(data), size):
        yield data[i : i + size]


def extract(entries: list[tuple], dest: Path) -> Path:
    rootfs.extract(rootfs._ChunkReader(chunks(make_tar(entries))), dest)
    return dest


def test_extracts_files_dirs_symlinks_and_hardlinks_keeping_modes(tmp_path):
    root = extract(
        [
            ("./", "dir", None, 0o755),
            ("./bin/", "dir", None, 0o555),  # read-only for its owner: must still be filled
            ("./bin/busybox", "file", "#!busybox", 0o4755),
            ("./bin/sh", "sym", "busybox", 0o777),
            ("./bin/ash", "link", "bin/busybox", 0o755),
            ("./dev/", "dir", None, 0o755),
            ("./dev/null", "chr", None, 0o666),
            ("./run/fifo", "fifo", None, 0o600),
        ],
        tmp_path / "r",
    )
    assert (root / "bin/busybox").read_text() == "#!busybox"
    assert stat.S_IMODE(os.stat(root / "bin/busybox").st_mode) == 0o755, "set-id bits dropped"
    assert os.readlink(root / "bin/sh") == "busybox"
    assert os.stat(root / "bin/ash").st_ino == os.stat(root / "bin/busybox").st_ino
    assert stat.S_IMODE(os.stat(root / "bin").st_mode) == 0o555, "the folder's mode is restored"
    assert not (root / "dev/null").exists(), "device nodes are skipped"
    assert stat.S_ISFIFO(os.stat(root / "run/fifo").st_mode)
    rootfs.rmtree(root)
    assert not root.exists()


def test_whiteouts_remove_what_they_name(tmp_path):
    root = extract(
        [
            ("etc/", "dir", None, 0o755),
            ("etc/keep", "file", "k", 0o644),
            ("etc/gone", "file", "g", 0o644),
            ("etc/.wh.gone", "file", "", 0o644),
            ("var/", "dir", None, 0o755),
            ("var/old", "file", "o", 0o644),
            ("var/.wh..wh..opq", "file", "", 0o644),
            ("var/new", "file", "n", 0o644),
        ],
        tmp_path / "r",
    )
    assert sorted(os.listdir(root / "etc")) == ["keep"]
    assert sorted(os.listdir(root / "var")) == ["new"]


def test_members_can_never_write_outside_the_tree(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    root = extract(
        [
            ("../escape", "file", "x", 0o644),
            ("lib", "sym", str(outside), 0o777),  # absolute: means <root>/<outside> in the image
            ("lib/evil", "file", "x", 0o644),
            ("up", "sym", "../../..", 0o777),
            ("up/evil2", "file", "x", 0o644),
        ],
        tmp_path / "r",
    )
    assert list(outside.iterdir()) == []
    assert not (tmp_path / "escape").exists()
    assert (root / str(outside).lstrip("/") / "evil").exists()
    assert (root / "evil2").exists(), "'..' above the root stays at the root, as in a chroot"


def test_resolve_in_root_follows_links_inside_the_root(tmp_path):
    root = tmp_path / "r"
    (root / "usr/bin").mkdir(parents=True)
    os.symlink("usr/bin", root / "bin")
    os.symlink("/usr", root / "u")
    assert rootfs.resolve_in_root(root, "bin/sh") == root / "usr/bin/sh"
    assert rootfs.resolve_in_root(root, "u/bin") == root / "usr/bin"


def test_normal_id_and_member_paths():
    assert rootfs.normal_id("sha256:abc") == "abc"
    assert rootfs.normal_id("abc") == "abc"
    assert rootfs.clean_member_path("./a//b/") == "a/b"
    assert rootfs.clean_member_path("./") is None
    assert rootfs.clean_member_path("a/../../b") is None


class FakeSource:
    """An in-memory ``ImageSource`` (rcontainer's own interface): the tar and config of one image."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.calls: list[str] = []

    def export_rootfs(self, image_id: str):
        self.calls.append("export")
        time.sleep(0.2)  # long enough for a concurrent create to queue on the lock
        try:
            yield from chunks(self.data)
        finally:
            self.calls.append("closed")

    def config(self, image_id: str):
        self.calls.append("inspect")
        return {"Cmd": ["/bin/sh"], "Env": ["PATH=/bin"], "WorkingDir": ""}


def test_ensure_builds_once_even_when_two_creates_race(tmp_path):
    source = FakeSource(make_tar([("bin/", "dir", None, 0o755), ("bin/x", "file", "x", 0o755)]))
    results: list[Path] = []
    threads = [
        threading.Thread(target=lambda: results.append(rootfs.ensure(source, "sha256:" + "a" * 64)))
        for _ in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results[0] == results[1] == paths.rootfs_cache_dir() / ("a" * 64)
    assert source.calls.count("export") == 1 and source.calls.count("closed") == 1
    assert (results[0] / "bin/x").read_text() == "x"
    assert not [p for p in paths.rootfs_cache_dir().iterdir() if p.name.endswith(".tmp")]
    assert rootfs.image_config(source, "a" * 64)["Cmd"] == ["/bin/sh"]
    assert rootfs.image_config(source, "a" * 64)["Env"] == ["PATH=/bin"]
    assert source.calls.count("inspect") == 1, "the image config is cached beside the tree"


def test_a_failed_export_leaves_no_half_tree(tmp_path):
    source = FakeSource(b"this is not a tar" * 100)
    with pytest.raises(Exception):  # noqa: B017 - OperationFailed; the point is what is left
        rootfs.ensure(source, "b" * 64)
    assert not (paths.rootfs_cache_dir() / ("b" * 64)).exists()
    assert not [p for p in paths.rootfs_cache_dir().iterdir() if p.name.endswith(".tmp")]
    assert source.calls[-1] == "closed", "the export stream is closed"


def test_prune_removes_unused_trees_and_reports_bytes(tmp_path):
    source = FakeSource(make_tar([("data", "file", "x" * 100_000, 0o444), ("ro/", "dir", None, 0o500)]))
    used = rootfs.ensure(source, "c" * 64)
    unused = rootfs.ensure(source, "d" * 64)
    rootfs.image_config(source, "d" * 64)
    assert rootfs.prune_rootfs(["sha256:" + "c" * 64]) >= 100_000
    assert used.is_dir() and not unused.exists()
    assert not rootfs.config_path("d" * 64).exists()
    assert rootfs.cached_ids() == ["c" * 64]
    assert rootfs.prune_rootfs(["c" * 64]) == 0


def test_refs_point_at_cached_images_only(tmp_path):
    source = FakeSource(make_tar([("bin/", "dir", None, 0o755)]))
    assert rootfs.cached_ref("localhost/x:latest") is None
    rootfs.ensure(source, "e" * 64)
    rootfs.remember_ref("localhost/x:latest", "sha256:" + "e" * 64)
    assert rootfs.cached_ref("localhost/x:latest") is None, "no configuration cached yet"
    rootfs.image_config(source, "e" * 64)
    assert rootfs.cached_ref("localhost/x:latest") == "e" * 64
    rootfs.prune_rootfs([])
    assert rootfs.cached_ref("localhost/x:latest") is None


def test_nothing_asks_podman_when_the_image_is_cached(tmp_path):
    source = FakeSource(make_tar([("bin/", "dir", None, 0o755)]))
    rootfs.ensure(source, "f" * 64)
    rootfs.image_config(source, "f" * 64)

    asked = len(source.calls)
    assert rootfs.ensure(source, "f" * 64).is_dir()
    assert rootfs.image_config(source, "f" * 64)["Cmd"] == ["/bin/sh"]
    assert len(source.calls) == asked, "the image source was asked again"
