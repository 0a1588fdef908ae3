"""``rcontainer exec NAME CMD...`` and ``rcontainer shell NAME [ARGS...]`` without click: the hot
paths of a workstation, parsed by hand.

Importing click costs about 20 ms, an eighth of an ``exec`` (BENCHMARKS.md, where the time
goes), and entering a container needs none of it. ``parse`` reads the forms people type — the
flags ``-i``, ``-t``, ``-T`` (also ``-it``), ``-u``, ``-w``, ``-e``, ``--env-file`` with their
values, then NAME and the command (for ``shell``: its arguments, maybe none) — and gives up
(None) on anything else (``shell``'s own options, such as ``--image``, included): ``--help``, a
global option, ``--``, an unknown or glued option, a missing command, a bad ``-e``, root,
a ``RCONTAINER_NO_AUTOSTART`` click would refuse. Then ``main`` runs the click command as always, so
help, usage errors and every rare form keep their one implementation.
``tests/unit/test_fast_exec.py`` checks that ``parse`` reads each form exactly as click does.
"""

from __future__ import annotations

import os
import sys
from typing import Any

FLAGS = {
    "-i": ("interactive", True),
    "--interactive": ("interactive", True),
    "-t": ("tty", True),
    "--tty": ("tty", True),
    "-T": ("tty", False),
    "--no-tty": ("tty", False),
}
VALUES = {
    "-u": "user",
    "--user": "user",
    "-w": "workdir",
    "--workdir": "workdir",
    "-e": "env",
    "--env": "env",
    "--env-file": "env_files",
}
REPEATED = ("env", "env_files")
# RCONTAINER_NO_AUTOSTART's values as click reads a flag's variable (another value: click says so)
YES = {"1", "true", "t", "yes", "y", "on"}
NO = {"", "0", "false", "f", "no", "n", "off"}


# the command -> how many words it needs after its options: exec NAME CMD..., shell NAME
NEEDS = {"exec": 2, "shell": 1}


def parse(args: list[str]) -> tuple[str, list[str], dict[str, Any]] | None:
    """(NAME, the command or the shell's arguments, the process options as the click command
    receives them), or None: not a form this path reads (click's command reads it)."""
    if not args or args[0] not in NEEDS:
        return None
    options: dict[str, Any] = {
        "interactive": False,
        "tty": None,
        "user": None,
        "workdir": None,
        "env": (),
        "env_files": (),
    }
    i = 1
    while i < len(args) and args[i].startswith("-"):
        word = args[i]
        if word in ("-it", "-ti"):
            options.update(interactive=True, tty=True)
        elif word in FLAGS:
            key, value = FLAGS[word]
            options[key] = value
        elif word in VALUES and i + 1 < len(args):
            key = VALUES[word]
            i += 1
            options[key] = options[key] + (args[i],) if key in REPEATED else args[i]
        else:
            return None
        i += 1
    if len(args) - i < NEEDS[args[0]]:  # NAME, and for exec a command
        return None
    if any(os.path.isdir(f) for f in options["env_files"]):
        return None  # click's Path check words that refusal
    return args[i], args[i + 1 :], options


def autostart() -> bool | None:
    """Whether a private Podman service may be started (``--no-autostart``'s variable, read
    as click reads it); None for a value click refuses."""
    value = os.environ.get("RCONTAINER_NO_AUTOSTART", "").strip().lower()
    return None if value not in YES | NO else value not in YES


def run(args: list[str]) -> int | None:
    """The exit status of ``exec`` or ``shell`` run here, or None when this path does not read
    ``args``."""
    parsed, start = parse(args), autostart()
    if parsed is None or start is None or os.geteuid() == 0:
        return None  # root: the root group refuses, or --allow-root decides
    name, argv, options = parsed
    from rcontainer.cli import process_options

    try:
        how = process_options.how(**options)
    except process_options.OptionError:
        return None  # click's command says it, as a usage error
    from rcontainer.cli.output import warn
    from rcontainer.engine.core import Engine

    if args[0] == "exec":
        engine = Engine(autostart=start)
        try:
            return engine.exec(name, argv, how)
        finally:
            sys.stdout.flush()
            for message in engine.notices:
                warn(message)
    # shell: as the click command's (``exec.shell``): pull progress on a terminal, and what
    # happened before the shell opens said before it opens
    from rcontainer.cli.progress import StderrProgress

    progress = StderrProgress(terminal=True) if sys.stderr.isatty() else None
    engine = Engine(autostart=start, progress=progress)

    def started(what: str) -> None:
        for notice in engine.notices:
            warn(notice)
        engine.notices.clear()
        warn(what)

    try:
        return engine.shell(name, argv, how, program=None, started=started)
    finally:
        if progress is not None:
            progress.close()
        sys.stdout.flush()
        for message in engine.notices:
            warn(message)
