"""Running a process in a container: ``exec``, and a dev shell (``rcontainer shell``).

exec runs a command in a running container. A dev shell, as Toolbx and Distrobox do, starts a
created or stopped container first and says so before the shell opens; the shell is the one
asked for, else the profile's ``shell:``, else bash when the container has it, else sh: the
choice is made inside the container by ``sh`` in the same exec (``PICK``), so an image without
bash costs nothing more than one with it.
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


def run(
    t: Transitions,
    record: Callable[[str], Record],
    name: str,
    argv: list[str],
    how: ExecOptions,
    *,
    dev_shell: bool = False,
    program: str | None = None,
    started: Callable[[str], None] | None = None,
) -> int:
    """Run ``argv`` in the container ``name`` (its key; its record from ``record``); its exit code.

    With ``dev_shell``, ``argv`` are a dev shell's arguments: the container is started first when
    it is created or stopped (``started`` hears of it before the shell opens), and the shell is
    ``program``, else the one ``shell_argv`` picks."""
    if not dev_shell:
        rec = record(name)
        check_transition(Op.EXEC, t.reconcile(rec), rec.name)
        return t.backend(rec).exec(rec, argv, how)
    with store.lock(name):
        rec = record(name)
        state = t.reconcile(rec)
        if state in (State.CREATED, State.STOPPED):
            t.step(rec, Op.START)
            store.save(rec)
            if started is not None:
                started(f"{rec.name} was {state.value}; started it")
        check_transition(Op.EXEC, rec.state, rec.name)
    return t.backend(rec).exec(rec, shell_argv(rec, argv, program), how)
