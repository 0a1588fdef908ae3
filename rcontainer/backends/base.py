"""The interface the lifecycle drives. One implementation per runtime family.

A backend knows how to make a container do something and how to look at it; it knows nothing
of records, locks or which transitions are legal (``rcontainer.lifecycle`` does). ``rec`` is
the container's record (``rcontainer.state``); a backend may store what it needs in
``rec["backend"]`` and the lifecycle saves it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from rcontainer.runtimes import RuntimeClass


class State(StrEnum):
    CREATED = "created"
    RUNNING = "running"
    PAUSED = "paused"
    STOPPED = "stopped"
    REMOVED = "removed"


@dataclass
class Observed:
    """What the runtime says about a container right now."""

    state: State
    id: str
    pid: int | None = None
    started_at: str | None = None
    finished_at: str | None = None
    exit_code: int | None = None
    health: str | None = None  # healthy, unhealthy, starting, or None without a healthcheck
    ports: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)


class Backend(Protocol):
    family: str

    def create(
        self,
        rec: dict[str, Any],
        profile: dict[str, Any],
        image: str,
        rclass: RuntimeClass,
        labels: dict[str, str],
    ) -> str:
        """Create the container from the resolved profile and the image id; return its id.

        ``rec["container_name"]`` and ``rec["log_path"]`` are set; ``labels`` mark it as
        rcontainer's (io.rcontainer.*)."""

    def start(self, rec: dict[str, Any]) -> None: ...

    def stop(self, rec: dict[str, Any], timeout: int) -> None: ...

    def kill(self, rec: dict[str, Any], signal: str) -> None: ...

    def pause(self, rec: dict[str, Any]) -> str:
        """Freeze every process; return the method used: ``freezer`` or ``signal``."""

    def unpause(self, rec: dict[str, Any]) -> None: ...

    def remove(self, rec: dict[str, Any]) -> None:
        """Remove the container whatever its state (the lifecycle has checked legality)."""

    def observe(self, rec: dict[str, Any]) -> Observed | None:
        """The container's state now, or None when it no longer exists."""

    def observe_all(self, recs: list[dict[str, Any]], scope: str) -> dict[str, Observed]:
        """Observe many containers in one call; keyed by container name."""

    def wait(self, rec: dict[str, Any], timeout: float | None) -> int | None:
        """Wait for the container to stop; its exit code (None on timeout)."""

    def exec(self, rec: dict[str, Any], argv: list[str], *, tty: bool, env: dict[str, str]) -> int:
        """Run a process in the running container with this process's stdio; its exit code."""
