"""A bubblewrap container's own root, made from an unpacked image tree."""

from __future__ import annotations

import os
from pathlib import Path

from rcontainer.backends.bwrap.root import populate_root

NET = {"mode": "none", "ports": [], "hostname": None, "dns": [], "add_hosts": {"db": "10.0.0.2"}}


def image(tmp_path: Path) -> Path:
    tree = tmp_path / "image"
    for folder in ("bin", "etc", "usr", "var/lib", "proc"):
        (tree / folder).mkdir(parents=True)
    (tree / "bin/sh").write_text("#!")
    (tree / "etc/passwd").write_text("root:x:0:0:root:/root:/bin/sh\n")
    os.symlink("usr/lib", tree / "lib")
    return tree


def test_small_folders_are_copied_the_others_bound_and_mount_points_made(tmp_path: Path):
    root = tmp_path / "root"
    bound = populate_root(root, image(tmp_path), {"network": NET}, hostname="box")
    assert sorted(bound) == ["bin", "usr"]
    assert (root / "etc/passwd").read_text().startswith("root:")
    assert (root / "var/lib").is_dir()
    assert os.readlink(root / "lib") == "usr/lib"
    for name in ("proc", "dev", "sys", "tmp", "run"):
        assert (root / name).is_dir()
    assert (root / "etc/hostname").read_text() == "box\n"
    hosts = (root / "etc/hosts").read_text()
    assert "127.0.1.1\tbox" in hosts and "10.0.0.2\tdb" in hosts


def test_the_images_symlinks_in_etc_are_replaced_never_written_through(tmp_path: Path):
    """An image may ship /etc/hostname or /etc/hosts as an absolute symlink: writing through
    it would write the host's file of that name, outside the container."""
    victims = {name: tmp_path / f"host-{name}" for name in ("hostname", "hosts", "resolv.conf")}
    tree = image(tmp_path)
    for name, victim in victims.items():
        victim.write_text("the user's own file\n")
        os.symlink(victim, tree / "etc" / name)
    root = tmp_path / "root"
    net = {**NET, "dns": ["10.0.0.53"]}
    populate_root(root, tree, {"network": net}, hostname="box")
    for name, victim in victims.items():
        assert victim.read_text() == "the user's own file\n", name
        assert not (root / "etc" / name).is_symlink(), name
    assert (root / "etc/hostname").read_text() == "box\n"
    assert (root / "etc/resolv.conf").read_text() == "nameserver 10.0.0.53\n"
