"""Bind sources checked again at every start, not only when the profile was loaded.

A profile's bind sources are resolved (``~``, relative paths, symlinks) and checked when it is
loaded, but ``start`` and ``restart`` reuse what the record stored. Anything that can write into
a bind source's parent (another container, for one) could meanwhile swap a folder for a symlink
to ``/`` or the home folder, and the runtime would follow it. So before every start each bind
source must still resolve to exactly the path that was checked.
"""

from __future__ import annotations

import os

from rcontainer.container import Record
from rcontainer.errors import BadInput


def check_sources(rec: Record) -> None:
    """Refuse to start when a bind source no longer resolves to the path checked at create."""
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
