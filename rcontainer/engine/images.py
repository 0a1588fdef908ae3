"""Images as the engine sees them: the one a profile needs, and the image commands.

Every family's images come from one image store (Podman's; the bubblewrap family unpacks
them). Which family runs a profile decides how cheaply its image can be found: the engine asks
that family's backend, never "which family is this?".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rcontainer import runtimes
from rcontainer.container import State
from rcontainer.engine import store
from rcontainer.errors import BadInput

if TYPE_CHECKING:
    from rcontainer.backends import Backends
    from rcontainer.backends.base import Progress
    from rcontainer.profile import Profile


def build_tag(name: str) -> str:
    """The tag a profile's built image gets."""
    return f"localhost/rcontainer/{name}:latest"


def ensure(backends: Backends, profile: dict[str, Any], progress: Progress | None) -> tuple[str, str]:
    """The profile's image reference and id, pulled or built as its pull policy says."""
    family = runtimes.get(profile["runtime"]).family
    return backends(family).ensure_image(profile, progress)


def pull(backends: Backends, ref: str, profile: Profile | None, progress: Progress | None) -> dict[str, Any]:
    """Pull an image, or the image a profile names."""
    if profile is not None:
        if profile.data.get("build"):
            raise BadInput(f"{ref}: the profile builds its image; use rcontainer build")
        ref = profile.data["image"]
    return backends.images.pull(ref, progress)


def build(backends: Backends, ref: str, profile: Profile, progress: Progress | None) -> dict[str, Any]:
    data = profile.data
    if not data.get("build"):
        raise BadInput(f"{ref}: the profile has no build section (it uses image {data.get('image')!r})")
    return backends.images.build(data["build"], build_tag(data["name"]), progress)


def prune(backends: Backends) -> dict[str, Any]:
    """Remove unpacked root filesystems (bwrap's cache) that no container of any scope uses."""
    in_use = [rec.image_id for rec in store.all_records(every_scope=True) if rec.state != State.REMOVED]
    return {"freed_bytes": backends.prune_caches(in_use)}
