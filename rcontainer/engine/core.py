"""The engine every command calls: the container lifecycle over the runtime families.

created → running ⇄ paused, running → stopped → running, any → removed. The ``Engine`` holds a
container's lock while it changes it, reconciles the record with what the runtime reports
(the runtime stays the source of truth), and changes containers only through
``Transitions.step``, which checks the ``LEGAL`` table (``states.py``) and records each
transition with its time. Compound commands are sequences of steps. It never prints: notices
for the user go to ``self.notices``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rcontainer import runtimes
from rcontainer.backends import Backends
from rcontainer.backends.base import Backend, ExecOptions, Progress
from rcontainer.container import Record, State, make_key
from rcontainer.engine import cleanup, create, events, images, names, networks, processes, queries, store, up
from rcontainer.engine import project as project_ops
from rcontainer.engine import volumes as volume_ops
from rcontainer.engine.plan import Plan, plan_up
from rcontainer.engine.states import Op, check_transition
from rcontainer.engine.transitions import Transitions
from rcontainer.errors import NotFound

if TYPE_CHECKING:
    from rcontainer.profile import Profile


class Engine:
    """The lifecycle core. ``progress`` hears of pulls and builds as they go (``Progress``).

    ``backends`` maps a family to its backend; by default the real ones (tests of the state
    machine pass an in-memory implementation of the same interface)."""

    def __init__(
        self,
        *,
        autostart: bool = True,
        progress: Progress | None = None,
        backends: Backends | None = None,
    ) -> None:
        self.autostart = autostart
        self.progress = progress
        self.notices: list[str] = []
        self.unchanged: set[str] = set()  # keys of containers a command found as it would leave them
        self._backends = backends or Backends(
            autostart=autostart, notices=self.notices, secrets=self._secret_values
        )
        self._t = Transitions(self._backends, self.notices)

    def backend(self, family: str) -> Backend:
        return self._backends(family)

    def load_profile(self, ref: str | Path) -> Profile:
        from rcontainer.profile import load_profile

        return project_ops.warned(load_profile(ref), self.notices)

    def _secret_values(self, path: str, names: list[str]) -> dict[str, str]:
        """What the profile at ``path`` gives the variables ``names`` now: the bwrap family
        never stores secret values and asks for them at each start."""
        env = self.load_profile(Path(path)).data["env"]
        return {k: str(env[k]) for k in names if k in env}

    def key_of(self, ref: str, project: str | None = None) -> str:
        """The key (``PROJECT/NAME``) of the container ``ref`` names: a key, a bare name (in
        ``project`` when given), or a profile file (``rcontainer.engine.names``)."""
        return names.key_of(ref, project, self.load_profile)

    def _record(self, key: str) -> Record:
        rec = store.load(key)
        if rec is None:
            raise NotFound(
                f"no container named {key!r}",
                hint="list them with rcontainer ps -a; create one with rcontainer up PROFILE",
            )
        return rec

    def reconcile(self, rec: Record) -> State:
        return self._t.reconcile(rec)

    # -- images --------------------------------------------------------------------------------
    def ensure_image(self, profile: dict[str, Any]) -> tuple[str, str]:
        return images.ensure(self._backends, profile, self.progress)

    def pull(self, ref: str) -> dict[str, Any]:
        profile = self.load_profile(ref) if ref.endswith((".yaml", ".yml")) else None
        return images.pull(self._backends, ref, profile, self.progress)

    def build(self, ref: str) -> dict[str, Any]:
        return images.build(self._backends, ref, self.load_profile(ref), self.progress)

    def images(self) -> list[dict[str, Any]]:
        return self._backends.images.list()

    def prune(self) -> dict[str, Any]:
        return images.prune(self._backends)

    # -- create / up ---------------------------------------------------------------------------
    @property
    def transitions(self) -> Transitions:
        """The steps every change goes through (for the compound operations' modules)."""
        return self._t

    def remove_orphan(self, rec: Record) -> bool:
        """Remove this scope's container of the record's key that the runtime has but no record
        points at (a CLI killed between the runtime's create and the record's write)."""
        backend = self.backend(rec.family)
        return backend.capabilities.orphans and backend.remove_orphan(rec, create.owner())

    def plan_up(self, profile: Profile, rec: Record | None, image_id: str, *, force: bool) -> Plan:
        return plan_up(profile, rec, image_id, runtimes.get(profile.runtime).name, force=force)

    def up(self, ref: str, *, project: str | None = None, **options: Any) -> Plan:
        """Declarative: make the container of this profile exist, current, and running, in its
        project (``project`` overrides it). ``options``: those of ``up_profile``. A profile with
        ``depends_on`` is brought up as ``up FOLDER NAME`` is, its dependencies first (as
        ``docker compose up NAME`` does); each dependency's plan becomes a notice. With
        ``in_project`` it is one member of its project, whose dependencies are started by someone
        else (a project's systemd units, each after its dependencies' units): this one only."""
        profile = create.profile_for(self.load_profile, ref)
        if not profile.data.get("depends_on") or options.get("in_project"):
            options.pop("wait_timeout", None)
            return self.up_profile(
                profile, names.check_project(project) if project else profile.project, **options
            )
        plans = self.up_project(str(profile.path.parent), project=project, only=(profile.name,), **options)
        mine = next(plan for plan in plans if plan.name == profile.name)
        for plan in plans:
            if plan is not mine:
                said = "up already" if plan.action == "none" else str(plan.action)
                said = f"would {said}" if options.get("dry_run") and plan.action != "none" else said
                self.notices.append(f"{plan.key}: {said} (a dependency of {profile.name})")
        return mine

    def up_project(self, folder: str, *, project: str | None = None, **options: Any) -> list[Plan]:
        """Every profile of a project folder up, as one project (``rcontainer.engine.project``)."""
        return project_ops.up(self, folder, names.check_project(project) if project else None, **options)

    def up_profile(self, profile: Profile, project: str, **options: bool) -> Plan:
        """Up one loaded profile in ``project`` (``rcontainer.engine.up``)."""
        return up.up_profile(self, profile, project, **options)

    def create(self, ref: str, *, allow_privileged: bool = False) -> Record:
        profile = create.profile_for(self.load_profile, ref)
        rclass = create.usable_class(profile, allow_privileged)
        key = make_key(profile.project, profile.name)
        with store.lock(key):
            rec = store.load(key)
            if rec is not None:
                check_transition(Op.CREATE, self._t.reconcile(rec), key)
            image = self.ensure_image(profile.data)
            return create.create(self._t, profile, profile.project, rclass, image, rec, self.remove_orphan)

    # -- transitions ---------------------------------------------------------------------------
    def _change(self, ref: str, steps: Callable[[Record], None], project: str | None = None) -> Record:
        """Under the container's lock: reconcile, run the steps, save."""
        key = self.key_of(ref, project)
        with store.lock(key):
            rec = self._record(key)
            self._t.reconcile(rec)
            steps(rec)
            store.save(rec)
            return rec

    def start(self, ref: str, project: str | None = None) -> Record:
        return self._change(ref, _unless(self, State.RUNNING, Op.START), project)

    def _stop_act(self, timeout: int | None) -> Callable[[Record, Backend], None]:
        return lambda rec, b: b.stop(rec, _stop_timeout(rec, timeout))

    def stop(self, ref: str, timeout: int | None = None, project: str | None = None) -> Record:
        return self._change(ref, _unless(self, State.STOPPED, Op.STOP, self._stop_act(timeout)), project)

    def kill(self, ref: str, signal: str = "SIGKILL") -> Record:
        def act(rec: Record, b: Backend) -> None:
            if rec.paused_by_signal and signal not in ("SIGKILL", "KILL", "9"):
                b.unpause(rec)  # a stopped process would not act on the signal until continued
            b.kill(rec, signal)
            time.sleep(0.1)  # let the runtime see the process go before we look again

        return self._change(ref, lambda rec: self._t.step(rec, Op.KILL, act))

    def pause(self, ref: str) -> Record:
        return self._change(ref, lambda rec: self._t.step(rec, Op.PAUSE))

    def unpause(self, ref: str) -> Record:
        return self._change(ref, lambda rec: self._t.step(rec, Op.UNPAUSE))

    def restart(self, ref: str, timeout: int | None = None, project: str | None = None) -> Record:
        def steps(rec: Record) -> None:
            check_transition(Op.RESTART, rec.state, rec.name, profile=rec.profile_path)
            if rec.state == State.RUNNING:
                self._t.step(rec, Op.STOP, self._stop_act(timeout))
            self._t.step(rec, Op.START)

        return self._change(ref, steps, project)

    def rm(self, ref: str, *, force: bool = False, purge: bool = False, keep_logs: bool = False) -> Record:
        """Remove; ``purge``: and forget it (its record and, unless ``keep_logs``, its logs)."""

        def steps(rec: Record) -> None:
            # removed, but ps shows an orphan of that name (see ps): rm -f cleans it up
            if force and rec.state == State.REMOVED and self.remove_orphan(rec):
                return
            if not (purge and rec.state == State.REMOVED):
                self._t.step(rec, Op.RM, force=force)

        rec = self._change(ref, steps)
        if purge:
            cleanup.purge(rec, keep_logs=keep_logs)
        return rec

    def prune_records(self, *, keep_logs: bool = False) -> list[str]:
        """Forget every removed container (records and, unless ``keep_logs``, logs)."""
        return cleanup.prune(keep_logs=keep_logs)

    def down(self, ref: str, timeout: int | None = None, project: str | None = None) -> Record:
        """Stop (gracefully, when running) and remove; the record and logs stay for history."""

        def steps(rec: Record) -> None:
            if rec.state == State.REMOVED:
                return
            if rec.state == State.PAUSED:
                self._t.step(rec, Op.UNPAUSE)
            if rec.state == State.RUNNING:
                self._t.step(rec, Op.STOP, self._stop_act(timeout))
            self._t.step(rec, Op.RM)

        rec = self._change(ref, steps, project)
        networks.prune(self.backend(rec.family), rec, create.owner())  # once no container uses them
        return rec

    @property
    def volumes(self) -> volume_ops.Volumes:
        """The named volumes rcontainer made: ls, rm, prune (``rcontainer.engine.volumes``)."""
        return volume_ops.Volumes(self._backends.volumes, create.owner(), self.rm)

    # -- projects ------------------------------------------------------------------------------
    def project_network(self, project: str, *, remove: bool = False) -> bool:
        """Make the project's network (``remove``: remove it once no container uses it; whether it
        was removed). A project's network is a Podman network, the one family that has them."""
        backend = self.backend(runtimes.PODMAN)
        project = names.check_project(project)
        if remove:
            return networks.prune_project(backend, project, create.owner())
        networks.ensure_project(backend, project, create.owner(), self.notices)
        return True

    def members(
        self, ref: str | None, project: str | None = None, *, removed: bool = False
    ) -> list[str] | None:
        """The keys of the project ``ref`` (a project folder) or ``project`` names, in the order
        they start in; None when ``ref`` names one container."""
        return project_ops.members(ref, names.check_project(project) if project else None, removed=removed)

    def each(self, op: str, keys: list[str], **options: Any) -> list[Record]:
        """``start``, ``stop``, ``restart`` or ``down`` over a project's containers, in the
        order ``op`` needs (``rcontainer.engine.project``)."""
        return project_ops.each(self, op, keys, **options)

    # -- looking -------------------------------------------------------------------------------
    def ps(self, *, all: bool = False, project: str | None = None) -> list[dict[str, Any]]:
        return queries.ps(self._t, all=all, project=project)

    def inspect(self, ref: str) -> dict[str, Any]:
        return queries.inspect(self._t, self._record(self.key_of(ref)))

    def history(self, ref: str) -> list[dict[str, Any]]:
        return queries.history(self._t, self._record(self.key_of(ref)))

    def log_path(
        self, ref: str, project: str | None = None, *, previous: bool = False
    ) -> tuple[Path, Record]:
        """The container's log, or (``previous``) the one its container had before a recreate."""
        rec = self._record(self.key_of(ref, project))
        return (cleanup.previous_log(Path(rec.log_path)) if previous else Path(rec.log_path)), rec

    def log_runs(self, ref: str, project: str | None = None) -> tuple[list[cleanup.Run], Record]:
        """Every kept run's log, oldest first, with when it started (``cleanup.runs``)."""
        rec = self._record(self.key_of(ref, project))
        return cleanup.runs(rec), rec

    def is_active(self, rec: Record) -> bool:
        return queries.is_active(self._t, rec)

    def wait(self, ref: str, timeout: float | None = None) -> int | None:
        return queries.wait(self._t, self._record(self.key_of(ref)), timeout)

    def run_healthcheck(self, ref: str) -> None:
        """Run the container's healthcheck once now (systemd units do, without Podman's timers)."""
        rec = self._record(self.key_of(ref))
        self._t.backend(rec).run_healthcheck(rec)

    def exec(self, ref: str, argv: list[str], how: ExecOptions | None = None, **dev: Any) -> int:
        """Run ``argv`` in the running container, or a dev shell (``processes.run``); its exit code."""
        return processes.run(self._t, self._record, self.key_of(ref), argv, how or ExecOptions(), **dev)

    def shell(self, ref: str, args: list[str], how: ExecOptions, **dev: Any) -> int:
        """A dev shell, its container brought up from its profile when it has none (``processes``)."""
        key = processes.bring_up(self, ref, dev.get("started"), dev.pop("profile", None))
        return processes.run(self._t, self._record, key, args, how, dev_shell=True, **dev)

    def events(
        self, *, interval: float = 0.5, stop: Callable[[], bool] = lambda: False
    ) -> Iterator[dict[str, Any]]:
        """Live transitions: the journal every command appends to, plus what a periodic look at
        the runtimes notices (transitions made outside rcontainer)."""
        return events.follow(lambda: self.ps(all=False), interval=interval, stop=stop)


def _unless(
    engine: Engine, state: State, op: Op, act: Callable[[Record, Backend], None] | None = None
) -> Callable[[Record], None]:
    """The steps of ``op``, or nothing (noted in ``unchanged``) when the container is in ``state``
    already: ``start`` of a running and ``stop`` of a stopped container succeed, as Podman's do."""

    def steps(rec: Record) -> None:
        if rec.state == state:
            engine.unchanged.add(rec.key)
        else:
            engine._t.step(rec, op, act)

    return steps


def _stop_timeout(rec: Record, timeout: int | None) -> int:
    """The timeout asked for, else the profile's stop_timeout."""
    return timeout if timeout is not None else int(rec.profile.get("stop_timeout", 10))
