"""What ``exec`` and ``shell`` options mean, without click: the fast path (``fast``) and the
click commands (``exec.py``) both read them here, so they cannot drift.

The options mean what ``podman exec``'s do, on both runtime families; a terminal is given when
asked for (``-t``) or, unlike podman, when the caller is on one (stdin and stdout are
terminals), and the caller's standard input is passed on when asked for (``-i``), with a
terminal, or when it is not a terminal (a pipe or a file: ``echo hi | rcontainer exec c cat``).
"""

from __future__ import annotations

import os
import sys
from typing import Any


class OptionError(ValueError):
    """A bad ``-e`` or ``--env-file``: the message, and the option it came from."""

    def __init__(self, message: str, option: str) -> None:
        super().__init__(message)
        self.message, self.option = message, option


def attached() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def how(
    interactive: bool,
    tty: bool | None,
    user: str | None,
    workdir: str | None,
    env: tuple[str, ...],
    env_files: tuple[str, ...],
) -> Any:
    """The ``ExecOptions`` the options give."""
    from rcontainer.backends.base import ExecOptions

    tty = attached() if tty is None else tty
    stdin = interactive or tty or not sys.stdin.isatty()
    return ExecOptions(
        tty=tty, stdin=stdin, env=environment(env, env_files), user=user or None, workdir=workdir or None
    )


def environment(
    env: tuple[str, ...], env_files: tuple[str, ...], caller: dict[str, str] | None = None
) -> dict[str, str]:
    """The variables ``-e`` and ``--env-file`` give, read as podman reads them: each line or
    option ``NAME=VALUE`` (the value taken as written, quotes and all), ``NAME`` alone passes
    the caller's value on (nothing when unset); in files, blank lines and ``#`` comments are
    skipped. Files first, in order, then ``-e``: the last word wins."""
    caller = dict(os.environ) if caller is None else caller
    out: dict[str, str] = {}

    def take(item: str, where: str, option: str) -> None:
        key, sep, value = item.partition("=")
        if not key or any(c.isspace() for c in key):
            raise OptionError(f"{where}: expected NAME=VALUE or NAME, got {item!r}", option)
        if sep:
            out[key] = value
        elif key in caller:
            out[key] = caller[key]

    for path in env_files:
        try:
            with open(path, encoding="utf-8", errors="surrogateescape") as fh:
                lines = fh.read().splitlines()
        except OSError as exc:
            raise OptionError(f"cannot read {path}: {exc.strerror}", "--env-file") from None
        for number, line in enumerate(lines, 1):
            line = line.lstrip()
            if line and not line.startswith("#"):
                take(line, f"{path}:{number}", "--env-file")
    for item in env:
        take(item, repr(item), "--env")
    return out
