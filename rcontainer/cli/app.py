"""What every command shares: the global options, the Engine, the notices and the one renderer.

The root group makes one ``App`` per run and keeps it in ``ctx.obj``; commands take it with
``@click.pass_obj``. The fast path (``fast``) makes one too and runs the same code without click,
so nothing here imports click. Nothing heavy at import time either: the Engine (and with it the
backends, yaml and podman-py) is imported the first time a command asks for it, so ``--help``
and completion never pay for it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NoReturn

from rcontainer.cli.output import to_json, warn
from rcontainer.cli.progress import StderrProgress

if TYPE_CHECKING:
    from rcontainer.engine.core import Engine
    from rcontainer.errors import RcError


class CommandExit(SystemExit):
    """A command ends with this exit status (``App.exit``): ``main`` passes it on, and whatever
    runs a command without ``main`` (click's test runner) sees the exit it expects."""

    def __init__(self, status: int) -> None:
        super().__init__(int(status))
        self.status = int(status)


class App:
    """One command's shared state: the global options, the Engine made on demand, the notices."""

    def __init__(self, *, autostart: bool) -> None:
        self.autostart = autostart  # --no-autostart: fail rather than start a private Podman service
        # What the user should hear about besides the command's result (a Podman service was
        # started, a unit still needs a daemon-reload, ...), with the Engine's own notices: each
        # printed once, in the ``--json`` object that carried it (``emit``), else on stderr when
        # the command ends, whether it succeeded or not.
        self.notices: list[str] = []
        self._in_json: set[str] = set()  # notices a --json result carried: not repeated on stderr
        self._engine: Engine | None = None
        self._progress: StderrProgress | None = None

    def engine(self, *, progress: bool = False, build_output: bool = False) -> Engine:
        """The Engine, made on first use and kept for the rest of the command.

        ``progress``: show pull and build progress on stderr when stderr is a terminal;
        ``build_output``: a build's output also when it is not (``rcontainer build``, as
        ``podman build`` does). The first call decides; a command asks once.
        """
        if self._engine is None:
            from rcontainer.engine.core import Engine

            terminal = sys.stderr.isatty()
            if progress and (terminal or build_output):
                self._progress = StderrProgress(terminal=terminal)
            self._engine = Engine(autostart=self.autostart, progress=self._progress)
        return self._engine

    def adopt(self, engine: Engine) -> Engine:
        """Use an Engine a core module made (``systemd.unit_engine``): its notices get printed too."""
        self._engine = engine
        return engine

    def emit(self, data: Any, as_json: bool, text: Callable[[Any], str]) -> None:
        """Print a command's result: ``data`` as JSON with ``--json``, else ``text(data)``.

        Empty text prints nothing (a listing of no files); text that ends with its own newline
        (YAML) gets no second one. With ``--json`` a result that is an object carries the notices
        known so far in its ``notices`` list, and stderr stays quiet about them: a script reads
        one document, a person sees each notice once. A listing (an array: ``ps``, ``images``)
        stays an array; its notices go to stderr.
        """
        if self._progress is not None:
            self._progress.close()
        if as_json and isinstance(data, dict):
            data = self._with_notices(data)
        out = to_json(data) if as_json else text(data)
        if out:
            sys.stdout.write(out if out.endswith("\n") else out + "\n")
            sys.stdout.flush()

    def _all_notices(self) -> list[str]:
        return self.notices + (self._engine.notices if self._engine is not None else [])

    def _with_notices(self, data: dict[str, Any]) -> dict[str, Any]:
        """``data`` with every notice not yet printed in its ``notices`` (kept when it has one)."""
        carried = list(data.get("notices") or [])
        pending = [n for n in self._all_notices() if n not in self._in_json and n not in carried]
        self._in_json.update(carried + pending)
        if not pending and "notices" not in data:
            return data
        return {**data, "notices": carried + pending}

    def error(self, exc: RcError) -> None:
        """Report one failure of several (``stop a b``) as ``main`` reports a command's failure."""
        if self._progress is not None:
            self._progress.close()
        sys.stdout.flush()
        warn(f"error: {exc.message}")
        if exc.hint:
            warn(f"hint: {exc.hint}")

    def exit(self, status: int) -> NoReturn:
        """End the command with ``status`` (``main`` passes it on as the process's exit status)."""
        raise CommandExit(status)

    def close(self) -> None:
        """Print the notices no --json result carried; the root group calls this when the command ends."""
        if self._progress is not None:
            self._progress.close()
        sys.stdout.flush()  # the command's output first, then what it has to say beside it
        for message in self._all_notices():
            if message not in self._in_json:
                warn(message)
