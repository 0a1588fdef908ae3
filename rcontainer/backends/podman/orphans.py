"""Containers of ours that Podman has but no record points at: a create interrupted before its
record was written (the CLI killed), or inside Podman itself (its service killed between the
container's storage and its database). The engine asks for their removal before creating again.
"""

from __future__ import annotations

import shutil
import subprocess
from typing import TYPE_CHECKING

from rcontainer.backends.podman import service
from rcontainer.backends.podman.api import quoted
from rcontainer.container import Record
from rcontainer.errors import OperationFailed

if TYPE_CHECKING:
    from rcontainer.backends.podman.backend import PodmanBackend

LABEL = "io.rcontainer"


def remove(backend: PodmanBackend, rec: Record, owner: str) -> bool:
    """Remove the container of ``rec``'s key (project and name) that Podman has but no record
    points at; a container labelled with another state folder is refused, never taken over."""
    for observed_key, obs in backend.observe_all([], rec.scope).items():
        if observed_key != rec.key:
            continue
        theirs = (obs.details.get("labels") or {}).get(f"{LABEL}.owner")
        if theirs and theirs != owner:  # no label: made before owners were labelled
            raise OperationFailed(
                f"cannot create {rec.name}: container {rec.container_name} belongs to the rcontainer "
                f"state folder {theirs}, not this one ({owner})",
                hint=f"use that state folder to manage it; if it is gone, remove the container with "
                f"podman rm -f {rec.container_name}",
            )
        backend.remove(Record(name=rec.name, backend={"id": obs.id}))
        return True
    return _remove_storage_only(backend, rec)


def _remove_storage_only(backend: PodmanBackend, rec: Record) -> bool:
    """A create interrupted inside Podman (its service killed between writing the container's
    storage and its database) leaves a container only containers/storage knows: the API
    cannot see it, yet it holds the name. ``podman rm --storage`` removes that kind, but
    Podman 4.3's also removes a container its database knows, so it runs only when the API
    knows no container of that name: one the API knows and that is not labelled ours (a
    user's own ``rc-PROJECT.NAME``) is never touched."""
    podman = shutil.which("podman")
    if podman is None or not rec.container_name:
        return False
    known = backend.api.request(
        "GET", f"/containers/{quoted(rec.container_name)}/exists", what="exists", ok=(404,)
    )
    if known.status != 404:
        return False
    done = subprocess.run(
        [podman, "rm", "--storage", rec.container_name],
        env=service.local_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode != 0:
        return False
    backend.notices.append(
        f"{rec.name}: removed {rec.container_name} from Podman's storage, a half-made container "
        "that an interrupted create left behind (podman rm --storage)"
    )
    return True
