"""A dev shell (``rcontainer shell``): the container started when it is not, then a shell in it.

Toolbx and Distrobox start a stopped container when asked for a shell; so does this, and says
so before the shell opens. The shell is the one asked for, else the profile's ``shell:``, else
bash when the container has it, else sh: the choice is made inside the container by ``sh`` in
the same exec (``PICK``), so an image without bash costs nothing more than one with it.
"""

from __future__ import annotations

from collections.abc import Callable

from rcontainer.backends.base import ExecOptions
from rcontainer.container import Record, State
from rcontainer.engine import store
from rcontainer.engine.states import Op, check_transition
from rcontainer.engine.transitions import Transitions

# Run by sh with the shell's arguments: bash when the container has it, else sh itself.
PICK = 'if command -v bash >/dev/null 2>&1; then exec bash "$@"; fi; exec sh "$@"'


def shell_argv(rec: Record, args: list[str], program: str | None) -> list[str]:
    """The command line of the shell for ``rec`` with ``args``: ``program`` when given."""
    chosen = program or rec.profile.get("shell")
    if chosen:
        return [str(chosen), *args]
    return ["sh", "-c", PICK, "sh", *args]


def enter(
    t: Transitions,
    record: Callable[[str], Record],
    name: str,
    args: list[str],
    how: ExecOptions,
    *,
    program: str | None = None,
    started: Callable[[str], None] | None = None,
) -> int:
    """Start the container ``name`` (its record from ``record``) when it is created or stopped
    (``started`` hears of it before the shell opens), then run its shell; the shell's exit
    code."""
    with store.lock(name):
        rec = record(name)
        state = t.reconcile(rec)
        if state in (State.CREATED, State.STOPPED):
            t.step(rec, Op.START)
            store.save(rec)
            if started is not None:
                started(f"{name} was {state.value}; started it")
        check_transition(Op.EXEC, rec.state, name)
    return t.backend(rec).exec(rec, shell_argv(rec, args, program), how)
