"""The lifecycle's rules: which operation may start from which state, and where it leads.

created → running ⇄ paused, running → stopped → running, and removed from created or stopped
(or from anywhere with force). ``LEGAL`` is the one table every transition is decided by;
``check_transition`` refuses an operation the table does not allow, naming the state and
what to do instead. A record that does not exist yet counts as removed.
"""

from __future__ import annotations

from enum import StrEnum

from rcontainer.container import State
from rcontainer.errors import IllegalTransition


class Op(StrEnum):
    CREATE = "create"
    START = "start"
    PAUSE = "pause"
    UNPAUSE = "unpause"
    STOP = "stop"
    RESTART = "restart"
    KILL = "kill"
    RM = "rm"
    EXEC = "exec"


# operation -> (states it may start from, the state it leads to; None: the runtime decides)
LEGAL: dict[Op, tuple[frozenset[State], State | None]] = {
    Op.CREATE: (frozenset({State.REMOVED}), State.CREATED),
    Op.START: (frozenset({State.CREATED, State.STOPPED}), State.RUNNING),
    Op.PAUSE: (frozenset({State.RUNNING}), State.PAUSED),
    Op.UNPAUSE: (frozenset({State.PAUSED}), State.RUNNING),
    Op.STOP: (frozenset({State.RUNNING}), State.STOPPED),
    Op.RESTART: (frozenset({State.CREATED, State.RUNNING, State.STOPPED}), State.RUNNING),
    Op.KILL: (frozenset({State.RUNNING, State.PAUSED}), None),
    Op.RM: (frozenset({State.CREATED, State.STOPPED}), State.REMOVED),
    Op.EXEC: (frozenset({State.RUNNING}), None),
}

# operations ``--force`` lets start from any state that still exists
FORCEABLE = frozenset({Op.RM})

HINTS: dict[tuple[Op, State], str] = {
    (Op.START, State.RUNNING): "it is already running",
    (Op.START, State.PAUSED): "it is paused: use rcontainer unpause",
    (Op.PAUSE, State.PAUSED): "it is already paused",
    (Op.PAUSE, State.STOPPED): "start it first",
    (Op.PAUSE, State.CREATED): "start it first",
    (Op.UNPAUSE, State.RUNNING): "it is not paused",
    (Op.STOP, State.PAUSED): "unpause it first (a frozen process cannot handle its stop signal)",
    (Op.STOP, State.STOPPED): "it is already stopped",
    (Op.STOP, State.CREATED): "it was never started; remove it with rcontainer rm",
    (Op.RM, State.RUNNING): "stop it first, or use rm -f",
    (Op.RM, State.PAUSED): "stop it first, or use rm -f",
    (Op.EXEC, State.PAUSED): "unpause it first",
}


def target(op: Op) -> State | None:
    """The state ``op`` leads to (None when the runtime decides, as for kill)."""
    return LEGAL[op][1]


def check_transition(
    op: Op, current: State | None, name: str, *, force: bool = False, profile: str = ""
) -> None:
    """Refuse an operation the container's state does not allow, naming that state.

    ``profile``: the file the container was made from, for the hint to a removed one."""
    current = current or State.REMOVED
    allowed, _ = LEGAL[op]
    if current in allowed:
        return
    if op == Op.CREATE:
        raise IllegalTransition(
            f"cannot create {name}: it exists and is {current}",
            hint="use rcontainer up to update it, or rcontainer rm first",
        )
    if current == State.REMOVED:
        import shlex  # here: only a refusal quotes a file name

        raise IllegalTransition(
            f"cannot {op} {name}: it is removed",
            hint=f"create it again: rcontainer up {shlex.quote(profile or name)}",
        )
    if force and op in FORCEABLE:
        return
    raise IllegalTransition(
        f"cannot {op} {name}: it is {current}",
        hint=HINTS.get((op, current), f"{op} works from: {', '.join(sorted(s.value for s in allowed))}"),
    )
