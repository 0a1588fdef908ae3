"""The engine every command calls: the container lifecycle over the runtime families.

created → running ⇄ paused, running → stopped → running, any → removed. The ``Engine`` holds a
container's lock while it changes it, reconciles the record with what the runtime reports
(the runtime stays the source of truth), and changes containers only through
``Transitions.step``, which checks the ``LEGAL`` table (``states.py``) and records each
transition with its time. Compound commands are sequences of steps (``lifecycle.py``). It never
prints: notices for the user go to ``self.notices``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rcontainer.backends import Backends
from rcontainer.container import Record, State, make_key
from rcontainer.engine import lifecycle, names, store
from rcontainer.engine.looking import Looking
from rcontainer.engine.states import Op, check_transition
from rcontainer.engine.transitions import Transitions
from rcontainer.errors import NotFound

if TYPE_CHECKING:
    from rcontainer.backends.base import Backend, ExecOptions, Progress
    from rcontainer.engine import volumes
    from rcontainer.engine.plan import Plan
    from rcontainer.profile import Profile

# The operations' modules (create, up, project, queries, images, cleanup, ...) are imported by
# the methods that use them: a command loads what it runs (`ps` neither the planner nor the
# project scheduler, `exec` neither the creator nor the queries). Measured here: importing them
# all cost ~10 ms of a ~100 ms `exec` (BENCHMARKS.md, where the time goes).


class Engine(Looking):
    """The lifecycle core. ``progress`` hears of pulls and builds as they go (``Progress``).

    ``backends`` maps a family to its backend; by default the real ones (tests of the state
    machine pass an in-memory implementation of the same interface).

    ``driver`` is who runs healthchecks and restarts of the containers it brings up: rcontainer's
    monitor (``engine/monitor.py``, started as needed), or ``systemd`` under a unit."""

    driver = ""

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
        # a monitor process drives the real families only: an engine over other backends (the
        # state machine's tests) starts none
        self.monitored = backends is None

    def backend(self, family: str) -> Backend:
        return self._backends(family)

    def load_profile(self, ref: str | Path) -> Profile:
        from rcontainer.profile import load_profile

        return store.warned(load_profile(ref), self.notices)

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
        from rcontainer.engine import images

        return images.ensure(self._backends, profile, self.progress)

    def pull(self, ref: str) -> dict[str, Any]:
        from rcontainer.engine import images

        profile = self.load_profile(ref) if ref.endswith((".yaml", ".yml")) else None
        return images.pull(self._backends, ref, profile, self.progress)

    def build(self, ref: str) -> dict[str, Any]:
        from rcontainer.engine import images

        return images.build(self._backends, ref, self.load_profile(ref), self.progress)

    def images(self) -> list[dict[str, Any]]:
        return self._backends.images.list()

    def prune(self) -> dict[str, Any]:
        from rcontainer.engine import images

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
        return backend.capabilities.orphans and backend.remove_orphan(rec, store.owner())

    def plan_up(self, profile: Profile, rec: Record | None, image_id: str, *, force: bool) -> Plan:
        from rcontainer import runtimes
        from rcontainer.engine.plan import plan_up

        return plan_up(profile, rec, image_id, runtimes.get(profile.runtime).name, force=force)

    def up(self, ref: str, *, project: str | None = None, **options: Any) -> Plan:
        """Declarative: make the container of this profile exist, current, and running, in its
        project, its dependencies first (``rcontainer.engine.up.up_ref``)."""
        from rcontainer.engine import up

        return up.up_ref(self, ref, project, **options)

    def up_project(self, folder: str, *, project: str | None = None, **options: Any) -> list[Plan]:
        """Every profile of a project folder up, as one project (``rcontainer.engine.project``)."""
        from rcontainer.engine import project as project_ops

        return project_ops.up(self, folder, names.check_project(project) if project else None, **options)

    def up_profile(self, profile: Profile, project: str, **options: bool) -> Plan:
        """Up one loaded profile in ``project`` (``rcontainer.engine.up``)."""
        from rcontainer.engine import up

        return up.up_profile(self, profile, project, **options)

    def create(self, ref: str, *, allow_privileged: bool = False) -> Record:
        from rcontainer.engine import create

        profile = create.profile_for(self.load_profile, ref)
        rclass = create.usable_class(profile, allow_privileged)
        key = make_key(profile.project, profile.name)
        with store.lock(key):
            rec = store.load(key)
            if rec is not None:
                check_transition(Op.CREATE, self._t.reconcile(rec), key)
            image = self.ensure_image(profile.data)
            return create.create(self._t, profile, profile.project, rclass, image, rec, self.remove_orphan)

    # -- transitions (the compound ones' steps: lifecycle.py) ----------------------------------
    def _change(self, ref: str, steps: Callable[[Record], None], project: str | None = None) -> Record:
        """Under the container's lock: reconcile, run the steps, save; then tell the monitor."""
        from rcontainer.engine import monitor_ctl

        key = self.key_of(ref, project)
        with store.lock(key):
            rec = self._record(key)
            self._t.reconcile(rec)
            steps(rec)
            store.save(rec)
        monitor_ctl.after_change(self, rec)  # a start it must watch, a stop it must not undo
        return rec

    def start(self, ref: str, project: str | None = None) -> Record:
        return self._change(ref, lifecycle.unless(self, State.RUNNING, Op.START), project)

    def stop(self, ref: str, timeout: int | None = None, project: str | None = None) -> Record:
        steps = lifecycle.unless(self, State.STOPPED, Op.STOP, lifecycle.stop_act(timeout))
        return self._change(ref, steps, project)

    def kill(self, ref: str, signal: str = "SIGKILL") -> Record:
        return self._change(ref, lifecycle.kill(self, signal))

    def pause(self, ref: str) -> Record:
        return self._change(ref, lambda rec: self._t.step(rec, Op.PAUSE))

    def unpause(self, ref: str) -> Record:
        return self._change(ref, lambda rec: self._t.step(rec, Op.UNPAUSE))

    def restart(self, ref: str, timeout: int | None = None, project: str | None = None) -> Record:
        return self._change(ref, lifecycle.restart(self, timeout), project)

    def rm(self, ref: str, *, force: bool = False, purge: bool = False, keep_logs: bool = False) -> Record:
        """Remove; ``purge``: and forget it (its record and, unless ``keep_logs``, its logs)."""
        rec = self._change(ref, lifecycle.rm(self, force=force, purge=purge))
        if purge:
            from rcontainer.engine import cleanup

            cleanup.purge(rec, keep_logs=keep_logs)
        return rec

    def prune_records(self, *, keep_logs: bool = False) -> list[str]:
        """Forget every removed container (records and, unless ``keep_logs``, logs)."""
        from rcontainer.engine import cleanup

        return cleanup.prune(keep_logs=keep_logs)

    def down(self, ref: str, timeout: int | None = None, project: str | None = None) -> Record:
        """Stop (gracefully, when running) and remove; the record and logs stay for history."""
        from rcontainer.engine import networks

        rec = self._change(ref, lifecycle.down(self, timeout), project)
        networks.prune(self.backend(rec.family), rec, store.owner())  # once no container uses them
        return rec

    @property
    def volumes(self) -> volumes.Volumes:
        """The named volumes rcontainer made: ls, rm, prune (``rcontainer.engine.volumes``)."""
        from rcontainer.engine import volumes

        return volumes.Volumes(self._backends.volumes, store.owner(), self.rm)

    # -- projects ------------------------------------------------------------------------------
    def project_network(self, project: str, *, remove: bool = False) -> bool:
        """Make the project's network (``remove``: remove it once no container uses it; whether it
        was removed). A project's network is a Podman network, the one family that has them."""
        from rcontainer import runtimes
        from rcontainer.engine import networks

        backend = self.backend(runtimes.PODMAN)
        project = names.check_project(project)
        if remove:
            return networks.prune_project(backend, project, store.owner())
        networks.ensure_project(backend, project, store.owner(), self.notices)
        return True

    def members(
        self, ref: str | None, project: str | None = None, *, removed: bool = False
    ) -> list[str] | None:
        """The keys of the project ``ref`` (a project folder) or ``project`` names, in the order
        they start in; None when ``ref`` names one container."""
        from rcontainer.engine import project as project_ops

        return project_ops.members(ref, names.check_project(project) if project else None, removed=removed)

    def each(self, op: str, keys: list[str], **options: Any) -> list[Record]:
        """``start``, ``stop``, ``restart`` or ``down`` over a project's containers, in the
        order ``op`` needs (``rcontainer.engine.project``)."""
        from rcontainer.engine import project as project_ops

        return project_ops.each(self, op, keys, **options)

    # -- inside a container ----------------------------------------------------------------------
    def exec(self, ref: str, argv: list[str], how: ExecOptions | None = None, **dev: Any) -> int:
        """Run ``argv`` in the running container, or a dev shell (``processes.run``); its exit code."""
        from rcontainer.backends.base import ExecOptions
        from rcontainer.engine import processes

        return processes.run(self._t, self._record, self.key_of(ref), argv, how or ExecOptions(), **dev)

    def shell(self, ref: str, args: list[str], how: ExecOptions, **dev: Any) -> int:
        """A dev shell, its container brought up from its profile when it has none (``processes``)."""
        from rcontainer.engine import processes

        key = processes.bring_up(self, ref, dev.get("started"), dev.pop("profile", None))
        return processes.run(self._t, self._record, key, args, how, dev_shell=True, **dev)
