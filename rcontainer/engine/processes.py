"""Running a process in a container: ``exec``, and a dev shell (``rcontainer shell``).

exec runs a command in a running container. A dev shell, as Toolbx and Distrobox do, starts a
created or stopped container first and says so before the shell opens; the shell is the one
asked for, else the profile's ``shell:``, else bash when the container has it, else sh: the
choice is made inside the container by ``sh`` in the same exec (``PICK``), so an image without
bash costs nothing more than one with it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from rcontainer.backends.base import ExecOptions
from rcontainer.container import Record, State
from rcontainer.engine import store
from rcontainer.engine.states import Op, check_transition
from rcontainer.engine.transitions import Transitions
from rcontainer.errors import NotFound

if TYPE_CHECKING:
    from rcontainer.engine.core import Engine
    from rcontainer.profile import Profile

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
    if rec.dev_shell is not None:  # home:/host: (rcontainer.engine.devshell)
        from rcontainer.engine import devshell  # here: a plain exec needs none of it (shutil)

        shell, how = devshell.entry(rec, argv, program, how)
        return t.backend(rec).exec(rec, shell, how)
    return t.backend(rec).exec(rec, shell_argv(rec, argv, program), how)


_DONE = {"create": "created and started", "recreate": "recreated and started", "start": "started"}


def bring_up(
    engine: Engine, ref: str, started: Callable[[str], None] | None, profile: Profile | None = None
) -> str:
    """The key of the container ``ref`` names for a dev shell: when it has none yet (or a
    removed one), its profile (``profile``, when the caller loaded it) is brought up first
    (pull, create, start), and ``started`` told. An existing container is used as it is
    recorded (a bare name reads no profile); ``run`` reconciles it, once, under its lock."""
    from rcontainer.container import make_key
    from rcontainer.engine import create, names

    if profile is None and names.looks_like_path(ref):
        profile = engine.load_profile(ref)
    try:
        key = make_key(profile.project, profile.name) if profile else engine.key_of(ref)
        rec = store.load(key)
    except NotFound:
        rec = None
    if rec is not None and rec.state != State.REMOVED:
        return key
    profile = profile or create.profile_for(engine.load_profile, ref)
    plan = engine.up_profile(profile, profile.project)
    key = make_key(profile.project, profile.name)
    if started is not None:
        started(f"{key} {_DONE.get(plan.action.value, plan.action.value)} (from {profile.path})")
    return key
