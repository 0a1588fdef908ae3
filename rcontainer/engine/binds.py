"""Bind sources: they must exist, and are checked again at every start, not only when the
profile was loaded.

A missing source passes the profile's validation (``validate`` warns: it may be made later)
and is refused before the runtime is asked, with the ``mkdir`` that fixes it, rather than
with the runtime's own ``statfs`` message.

A profile's bind sources are resolved (``~``, relative paths, symlinks) and checked when it is
loaded, but ``start`` and ``restart`` reuse what the record stored. Anything that can write into
a bind source's parent (another container, for one) could meanwhile swap a folder for a symlink
to ``/`` or the home folder, and the runtime would follow it. So before every start each bind
source must still resolve to exactly the path that was checked.
"""

from __future__ import annotations

import os
from typing import Any

from rcontainer.container import Record
from rcontainer.errors import BadInput


def missing_sources(volumes: list[Any] | None) -> list[tuple[int, str]]:
    """(index in ``volumes``, source) of each bind mount whose source does not exist."""
    out = []
    for i, vol in enumerate(volumes or []):
        if isinstance(vol, dict) and vol.get("type") == "bind" and vol.get("source"):
            if not os.path.exists(str(vol["source"])):
                out.append((i, str(vol["source"])))
    return out


def check_exist(name: str, volumes: list[Any] | None, where: str) -> None:
    """Refuse to create or start ``name`` while a bind source is missing; the hint makes them."""
    missing = missing_sources(volumes)
    if missing:
        import shlex  # here: only the refusal quotes

        listed = ", ".join(f"volumes[{i}]: {source}" for i, source in missing)
        raise BadInput(
            f"cannot {where} {name}: bind source{'s' if len(missing) > 1 else ''} missing: {listed}",
            hint="create "
            + ("it" if len(missing) == 1 else "them")
            + ": mkdir -p "
            + " ".join(shlex.quote(source) for _, source in missing),
        )


def check_sources(rec: Record) -> None:
    """Refuse to start when a bind source is missing, or no longer resolves to the path
    checked at create."""
    check_exist(rec.name, rec.profile.get("volumes"), "start")
    for vol in rec.profile.get("volumes") or []:
        if not isinstance(vol, dict) or vol.get("type") != "bind":
            continue
        source = str(vol.get("source") or "")
        now = os.path.realpath(source)
        if now != source:
            raise BadInput(
                f"cannot start {rec.name}: bind source {source} now resolves to {now} "
                "(a folder on the way was replaced by a symbolic link since the container was created)",
                hint=f"check who changed {source}; recreate the container with rcontainer up --force-recreate "
                "if the new target is what you want",
            )
