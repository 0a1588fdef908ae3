"""The steps of the lifecycle commands that are more than one transition: ``start``/``stop`` that
find the container as asked already, ``kill``, ``restart``, ``rm`` and ``down``.

Each function returns the steps ``Engine._change`` runs under the container's lock, after
reconciling it and before saving it; every change goes through ``Transitions.step``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from rcontainer.container import Record, State
from rcontainer.engine.states import Op, check_transition

if TYPE_CHECKING:
    from rcontainer.backends.base import Backend
    from rcontainer.engine.core import Engine

Steps = Callable[[Record], None]


def unless(
    engine: Engine, state: State, op: Op, act: Callable[[Record, Backend], None] | None = None
) -> Steps:
    """The steps of ``op``, or nothing (noted in ``unchanged``) when the container is in ``state``
    already: ``start`` of a running and ``stop`` of a stopped container succeed, as Podman's do."""

    def steps(rec: Record) -> None:
        if rec.state == state:
            engine.unchanged.add(rec.key)
        else:
            engine.transitions.step(rec, op, act)

    return steps


def stop_seconds(rec: Record, timeout: int | None) -> int:
    """The timeout asked for, else the profile's ``stop_timeout``."""
    return timeout if timeout is not None else int(rec.profile.get("stop_timeout", 10))


def stop_act(timeout: int | None) -> Callable[[Record, Backend], None]:
    """Stop with the timeout asked for, else the profile's ``stop_timeout``."""
    return lambda rec, b: b.stop(rec, stop_seconds(rec, timeout))


def kill(engine: Engine, signal: str) -> Steps:
    def act(rec: Record, b: Backend) -> None:
        if rec.paused_by_signal and signal not in ("SIGKILL", "KILL", "9"):
            b.unpause(rec)  # a stopped process would not act on the signal until continued
        b.kill(rec, signal)
        time.sleep(0.1)  # let the runtime see the process go before we look again

    def steps(rec: Record) -> None:
        before = len(rec.transitions)
        engine.transitions.step(rec, Op.KILL, act)
        if len(rec.transitions) > before and rec.state == State.STOPPED:
            # asked for, as Podman counts its kill: no restart policy undoes it
            rec.transitions[-1].update(by="rcontainer", note=f"killed with {signal}")

    return steps


def restart(engine: Engine, timeout: int | None) -> Steps:
    def steps(rec: Record) -> None:
        check_transition(Op.RESTART, rec.state, rec.name, profile=rec.profile_path)
        if rec.state == State.RUNNING:
            engine.transitions.step(rec, Op.STOP, stop_act(timeout))
        engine.transitions.step(rec, Op.START)

    return steps


def rm(engine: Engine, *, force: bool, purge: bool) -> Steps:
    def steps(rec: Record) -> None:
        # removed, but ps shows an orphan of that name (see ps): rm -f cleans it up
        if force and rec.state == State.REMOVED and engine.remove_orphan(rec):
            return
        if not (purge and rec.state == State.REMOVED):
            engine.transitions.step(rec, Op.RM, force=force)

    return steps


def down(engine: Engine, timeout: int | None) -> Steps:
    """Stop (gracefully, when running) and remove; the record and logs stay for history.

    A running container is stopped and removed by one call of the backend (``remove`` with a
    stop timeout: for Podman one request instead of two, ~10 ms); the record still notes both
    steps, running → stopped → removed, each checked against the table."""

    def steps(rec: Record) -> None:
        if rec.state == State.REMOVED:
            return
        if rec.state == State.PAUSED:
            engine.transitions.step(rec, Op.UNPAUSE)
        if rec.state == State.RUNNING:
            seconds = stop_seconds(rec, timeout)
            engine.transitions.step(rec, Op.STOP, lambda r, b: b.remove(r, stop_timeout=seconds))
            engine.transitions.step(rec, Op.RM, lambda r, b: None)  # the call above removed it
        else:
            engine.transitions.step(rec, Op.RM)

    return steps
