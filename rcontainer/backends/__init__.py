"""Runtime families behind one interface (``base.Backend``).

``open_backends`` is the one place that knows which class implements which family and how they
are wired together: the bubblewrap family unpacks images that the Podman family's image store
provides. ``capabilities`` answers what a family can do without importing it.
"""

from __future__ import annotations

import _thread  # threading's own locks, without importing threading (~1 ms of an exec)
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rcontainer.backends.base import Backend, Capabilities, ImageSource, VolumeStore
    from rcontainer.backends.bwrap.secret_env import SecretSource


def capabilities(family: str) -> Capabilities:
    """A family's declared capabilities (import-light: completion and validate use it)."""
    if family == "bwrap":
        from rcontainer.backends.bwrap.capabilities import CAPABILITIES
    else:
        from rcontainer.backends.podman.capabilities import CAPABILITIES
    return CAPABILITIES


class Backends:
    """The backends of one command, made on first use and shared (one Podman connection)."""

    def __init__(self, *, autostart: bool, notices: list[str], secrets: SecretSource | None = None) -> None:
        self.autostart = autostart
        self.notices = notices
        self.secrets = secrets  # a secret's value now, for a family that never stores it (bwrap)
        self._made: dict[str, Backend] = {}
        self._lock = _thread.RLock()  # a project's containers come up in threads: one backend each family

    def __call__(self, family: str) -> Backend:
        with self._lock:
            if family not in self._made:
                self._made[family] = self._make(family)
            return self._made[family]

    @property
    def images(self) -> ImageSource:
        """The image store every family's images come from (Podman's)."""
        return self("podman").images  # type: ignore[attr-defined]

    @property
    def volumes(self) -> VolumeStore:
        """Where named volumes live (Podman's store: the bwrap family mounts none)."""
        return self("podman").volumes  # type: ignore[attr-defined]

    def prune_caches(self, in_use_ids: list[str]) -> int:
        """Free what families keep beside Podman's store (bwrap's unpacked root filesystems)
        for images no container uses; the bytes freed."""
        from rcontainer.backends.bwrap.rootfs import prune_rootfs

        return prune_rootfs(in_use_ids)

    def _make(self, family: str) -> Backend:
        from rcontainer.errors import BadInput

        if family == "podman":
            from rcontainer.backends.podman.backend import PodmanBackend

            return PodmanBackend(autostart=self.autostart, notices=self.notices)
        if family == "bwrap":
            from rcontainer.backends.bwrap.backend import BwrapBackend

            # the Podman family's image store, made when an image is wanted: exec, stop or rm of
            # a bubblewrap container never import the Podman backend (~20 ms)
            return BwrapBackend(images=_LazyImages(self), secrets=self.secrets)  # type: ignore[arg-type]
        raise BadInput(f"unknown runtime family {family!r}")


class _LazyImages:
    """``Backends.images``, looked up on first use."""

    def __init__(self, backends: Backends) -> None:
        self._backends = backends

    def __getattr__(self, name: str) -> object:
        return getattr(self._backends.images, name)
