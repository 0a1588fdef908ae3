"""The interface the lifecycle drives. One implementation per runtime family.

A backend knows how to make a container do something and how to look at it; it knows nothing
of records, locks or which transitions are legal (``rcontainer.engine.core`` does). ``rec`` is
the container's record (``rcontainer.engine.store``); a backend may store what it needs in
``rec.backend`` and the lifecycle saves it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from rcontainer.container import Observed, Record

if TYPE_CHECKING:
    from rcontainer.runtimes import RuntimeClass


class Backend(Protocol):
    family: str

    def create(
        self,
        rec: Record,
        profile: dict[str, Any],
        image: str,
        rclass: RuntimeClass,
        labels: dict[str, str],
    ) -> str:
        """Create the container from the resolved profile and the image id; return its id.

        ``rec.container_name`` and ``rec.log_path`` are set; ``labels`` mark it as
        rcontainer's (io.rcontainer.*)."""

    def start(self, rec: Record) -> None: ...

    def stop(self, rec: Record, timeout: int) -> None: ...

    def kill(self, rec: Record, signal: str) -> None: ...

    def pause(self, rec: Record) -> str:
        """Freeze every process; return the method used: ``freezer`` or ``signal``."""

    def unpause(self, rec: Record) -> None: ...

    def remove(self, rec: Record) -> None:
        """Remove the container whatever its state (the lifecycle has checked legality)."""

    def observe(self, rec: Record) -> Observed | None:
        """The container's state now, or None when it no longer exists."""

    def observe_all(self, recs: list[Record], scope: str) -> dict[str, Observed]:
        """Observe many containers in one call; keyed by container name."""

    def wait(self, rec: Record, timeout: float | None) -> int | None:
        """Wait for the container to stop; its exit code (None on timeout)."""

    def exec(self, rec: Record, argv: list[str], *, tty: bool, env: dict[str, str]) -> int:
        """Run a process in the running container with this process's stdio; its exit code."""
