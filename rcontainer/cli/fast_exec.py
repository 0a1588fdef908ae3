"""``rcontainer exec NAME CMD...`` without click: the hot path of a workstation, parsed by hand.

Importing click costs about 20 ms, an eighth of an ``exec`` (BENCHMARKS.md, where the time
goes), and an ``exec`` needs none of it. ``parse`` reads the forms people type — the flags
``-i``, ``-t``, ``-T`` (also ``-it``), ``-u``, ``-w``, ``-e``, ``--env-file`` with their
values, then NAME and the command — and gives up (None) on anything else: ``--help``, a
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


def parse(args: list[str]) -> tuple[str, list[str], dict[str, Any]] | None:
    """(NAME, command, options as the click command receives them), or None: not a form this
    path reads (click's command reads it)."""
    if len(args) < 3 or args[0] != "exec":
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
    if len(args) - i < 2:  # NAME and at least one word of the command
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
    """The exit status of ``exec`` run here, or None when this path does not read ``args``."""
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

    engine = Engine(autostart=start)
    try:
        return engine.exec(name, argv, how)
    finally:
        sys.stdout.flush()
        for message in engine.notices:
            warn(message)
