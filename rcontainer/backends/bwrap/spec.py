"""A container's ``spec.json``: everything its supervisor needs to run it, decided at create.

``lay_out`` populates the container's own root (``root``) and builds bwrap's arguments for it
(``argv``); ``write`` stores them with the bwrap binary, the log path, the ulimits, the
container's id and the names of its secret environment variables. Secret values are never
written (``secret_env``): the arguments carry the rest of the environment. The file is 0600.
The supervisor reads it at every start; ``exec`` reads the environment, working folder,
network choice and ulimits back from it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rcontainer.backends.bwrap.argv import bwrap_args, container_command, container_env, resolve_user

NAME = "spec.json"
ROOT = "root"


def write(cdir: Path, spec: dict[str, Any]) -> None:
    """Write the spec of a new container folder (never over an existing one)."""
    fd = os.open(cdir / NAME, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(spec, fh)


def read(cdir: Path) -> dict[str, Any]:
    return json.loads((cdir / NAME).read_text())


def lay_out(
    root: Path,
    tree: Path,
    profile: dict[str, Any],
    config: dict[str, Any],
    hostname: str,
    extra: tuple[str, ...],
    secret_keys: Sequence[str] = (),
) -> list[str]:
    """Populate the container's own root at ``root`` from the image's ``tree`` and return
    bwrap's arguments for it, without the variables ``secret_keys`` (the supervisor adds
    them at each start). The image's /etc/passwd (as copied into ``root``) names the user;
    the working folder and mount targets must exist before bwrap runs."""
    # here: ``exec`` reads the spec and lays out nothing (root brings shutil and rootfs)
    from rcontainer.backends.bwrap.root import add_dev_shell_files, populate_root, prepare_targets

    bound = populate_root(root, tree, profile, hostname=hostname)
    add_dev_shell_files(root / "etc", profile)
    uid, gid, home = resolve_user(root / "etc", profile.get("user") or config.get("User") or None)
    workdir = profile.get("workdir") or config.get("WorkingDir") or "/"
    prepare_targets(root, tree, bound, profile, workdir)
    env = container_env(profile, config, hostname=hostname, home=home)
    for key in secret_keys:
        env.pop(key, None)
    return bwrap_args(
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
        extra=extra,
    )
