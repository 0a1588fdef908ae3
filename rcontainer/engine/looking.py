"""The looking side of the ``Engine``: ``ps``, ``inspect``, ``history``, logs, ``wait`` and
``events``, each answered by ``queries``/``cleanup``/``events`` from the records and what the
runtime reports now. A class of its own so that the lifecycle core stays readable; it needs
the Engine's transitions (``_t``), ``key_of`` and ``_record``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rcontainer.container import Record
    from rcontainer.engine import cleanup
    from rcontainer.engine.transitions import Transitions


class Looking:
    """What commands that look (and change nothing) ask the Engine."""

    # the Engine's
    _t: Transitions
    key_of: Callable[..., str]
    _record: Callable[[str], Record]

    def ps(self, *, all: bool = False, project: str | None = None) -> list[dict[str, Any]]:
        from rcontainer.engine import queries

        return queries.ps(self._t, all=all, project=project)

    def inspect(self, ref: str) -> dict[str, Any]:
        from rcontainer.engine import queries

        return queries.inspect(self._t, self._record(self.key_of(ref)))

    def history(self, ref: str) -> list[dict[str, Any]]:
        from rcontainer.engine import queries

        return queries.history(self._t, self._record(self.key_of(ref)))

    def log_path(
        self, ref: str, project: str | None = None, *, previous: bool = False
    ) -> tuple[Path, Record]:
        """The container's log, or (``previous``) the one its container had before a recreate."""
        from rcontainer.engine import cleanup

        rec = self._record(self.key_of(ref, project))
        return (cleanup.previous_log(Path(rec.log_path)) if previous else Path(rec.log_path)), rec

    def log_runs(self, ref: str, project: str | None = None) -> tuple[list[cleanup.Run], Record]:
        """Every kept run's log, oldest first, with when it started (``cleanup.runs``)."""
        from rcontainer.engine import cleanup

        rec = self._record(self.key_of(ref, project))
        return cleanup.runs(rec), rec

    def is_active(self, rec: Record) -> bool:
        from rcontainer.engine import queries

        return queries.is_active(self._t, rec)

    def wait(self, ref: str, timeout: float | None = None) -> int | None:
        from rcontainer.engine import queries

        return queries.wait(self._t, self._record(self.key_of(ref)), timeout)

    def run_healthcheck(self, ref: str) -> None:
        """Run the container's healthcheck once now (systemd units do, without Podman's timers)."""
        rec = self._record(self.key_of(ref))
        self._t.backend(rec).run_healthcheck(rec)

    def events(
        self, *, interval: float = 0.5, stop: Callable[[], bool] = lambda: False
    ) -> Iterator[dict[str, Any]]:
        """Live transitions: the journal every command appends to, plus what a periodic look at
        the runtimes notices (transitions made outside rcontainer)."""
        from rcontainer.engine import events

        return events.follow(lambda: self.ps(all=False), interval=interval, stop=stop)
