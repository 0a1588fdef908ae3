"""The command line: a thin click layer over the core.

Each command parses its arguments, calls one core function and renders the result through
``App.emit`` (text, or JSON with ``--json``). The core never prints and never exits; ``main`` is
the one place that maps the project's errors to a message and an exit status.

Commands live in modules by topic (``images``, ``containers``, ``looking``, ``exec``, ...), listed
in ``COMMANDS``. The root group imports a command's module only when that command runs or is
completed: ``rcontainer ps``, or completing its arguments, loads one command module (``--help``,
which shows every command's short help, loads them all). Heavy modules (podman-py, yaml) are
imported inside the command functions, so ``--help`` and shell completion stay fast. The click
group itself is in ``root.py``; the common forms of the hot commands (``ps``, ``up``, ``down``,
``stop``, ``start``, ``rm``, ``exec``, ``shell``) skip click altogether (``fast``), and do what
their click commands do (``actions``).
"""

from __future__ import annotations

import os
import sys
from typing import Any

from rcontainer.cli.commands import COMMANDS  # noqa: F401  (re-exported: the table of commands)
from rcontainer.errors import ExitStatus, RcError


def __getattr__(name: str) -> Any:
    """``rcontainer.cli.cli``, the root click group, imported when asked for (``root.py``)."""
    if name == "cli":
        from rcontainer.cli.root import cli

        return cli
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _debug(argv: list[str]) -> bool:
    return "--traceback" in argv or os.environ.get("RCONTAINER_DEBUG", "") not in ("", "0")


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the command (by the fast path when it can: ``fast``; else the click
    command line) and map every expected failure to a message and exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = _debug(args)
    try:
        from rcontainer.cli import fast

        status = fast.run(args)
        if status is None:
            from rcontainer.cli.root import run

            status = run(args)
    except RcError as exc:
        if debug:
            raise
        sys.stderr.write(f"rcontainer: error: {exc.message}\n")
        if exc.hint:
            sys.stderr.write(f"rcontainer: hint: {exc.hint}\n")
        sys.exit(exc.status)
    except KeyboardInterrupt:
        if debug:
            raise
        sys.stderr.write("rcontainer: interrupted\n")
        sys.exit(ExitStatus.INTERRUPTED)
    except BrokenPipeError:
        # `rcontainer ps | head`: the reader went away; not an error worth a message.
        sys.stderr.close()
        sys.exit(ExitStatus.OK)
    sys.exit(status)
