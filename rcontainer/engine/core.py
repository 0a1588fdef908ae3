"""The container lifecycle: created → running ⇄ paused, running → stopped → running, any → removed.

The ``Engine`` is the core every command calls. It holds the container's lock while it
changes it, reconciles the record with what the runtime reports (Podman stays the source of
truth), refuses illegal transitions with the current state named, records each transition
with its time, and drives the runtime family's backend. It never prints.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rcontainer import paths, runtimes
from rcontainer.backends import Backends
from rcontainer.backends.base import Backend
from rcontainer.container import Observed, Record, State
from rcontainer.engine import store as state
from rcontainer.errors import BadInput, Busy, IllegalTransition, NotFound, OperationFailed
from rcontainer.files import ensure_dir

if TYPE_CHECKING:
    from rcontainer.profile import Profile

LABEL = "io.rcontainer"

# operation -> states it may start from, and the state it leads to
LEGAL: dict[str, tuple[frozenset[State], State | None]] = {
    "start": (frozenset({State.CREATED, State.STOPPED}), State.RUNNING),
    "pause": (frozenset({State.RUNNING}), State.PAUSED),
    "unpause": (frozenset({State.PAUSED}), State.RUNNING),
    "stop": (frozenset({State.RUNNING}), State.STOPPED),
    "restart": (frozenset({State.CREATED, State.RUNNING, State.STOPPED}), State.RUNNING),
    "kill": (frozenset({State.RUNNING, State.PAUSED}), None),
    "rm": (frozenset({State.CREATED, State.STOPPED}), State.REMOVED),
    "exec": (frozenset({State.RUNNING}), None),
}

HINTS = {
    ("start", State.RUNNING): "it is already running",
    ("start", State.PAUSED): "it is paused: use rcontainer unpause",
    ("pause", State.PAUSED): "it is already paused",
    ("pause", State.STOPPED): "start it first",
    ("pause", State.CREATED): "start it first",
    ("unpause", State.RUNNING): "it is not paused",
    ("stop", State.PAUSED): "unpause it first (a frozen process cannot handle its stop signal)",
    ("stop", State.STOPPED): "it is already stopped",
    ("stop", State.CREATED): "it was never started; remove it with rcontainer rm",
    ("rm", State.RUNNING): "stop it first, or use rm -f",
    ("rm", State.PAUSED): "stop it first, or use rm -f",
    ("exec", State.PAUSED): "unpause it first",
}


def check_transition(op: str, current: State, name: str, *, force: bool = False) -> None:
    """Refuse an operation the container's state does not allow, naming that state."""
    if current == State.REMOVED:
        raise IllegalTransition(
            f"cannot {op} {name}: it is removed", hint=f"create it again: rcontainer up {name}"
        )
    allowed, _ = LEGAL[op]
    if op == "rm" and force:
        return
    if current not in allowed:
        raise IllegalTransition(
            f"cannot {op} {name}: it is {current}",
            hint=HINTS.get((op, current), f"{op} works from: {', '.join(sorted(s.value for s in allowed))}"),
        )


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Dotted key paths of a nested profile, for saying which fields changed."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            out.update(flatten(v, f"{prefix}.{k}" if prefix else str(k)))
        return out or {prefix: {}}
    return {prefix: value}


def changed_fields(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    a, b = flatten(old), flatten(new)
    return sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))


def container_name(name: str) -> str:
    s = paths.scope()
    return f"rc-{name}" if s == paths.DEFAULT_SCOPE else f"rc-{s}-{name}"


@dataclass
class Plan:
    """What ``up`` will do (``--dry-run`` shows it; otherwise it is done)."""

    name: str
    action: str  # create, recreate, start, unpause, none
    reasons: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    image: str = ""
    runtime: str = ""
    done: bool = False

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class Engine:
    """The lifecycle core. ``progress`` receives (layer, text) during pulls and builds."""

    def __init__(self, *, autostart: bool = True, progress: Callable[[str, str], None] | None = None) -> None:
        self.autostart = autostart
        self.progress = progress
        self.notices: list[str] = []
        self._backends = Backends(autostart=autostart, notices=self.notices)

    # -- plumbing ------------------------------------------------------------------------------
    def backend(self, family: str) -> Backend:
        return self._backends(family)

    def load_profile(self, ref: str | Path) -> Profile:
        from rcontainer.profile import load_profile

        return load_profile(ref)

    def name_of(self, ref: str) -> str:
        """A container is addressed by its profile's name; a profile path is accepted too."""
        if "/" in ref or ref.endswith((".yaml", ".yml")):
            return self.load_profile(ref).name
        return ref

    def _record(self, name: str) -> Record:
        rec = state.load(name)
        if rec is None:
            raise NotFound(
                f"no container named {name!r}",
                hint="list them with rcontainer ps -a; create one with rcontainer up PROFILE",
            )
        return rec

    def _transition(
        self,
        rec: Record,
        to: State,
        *,
        by: str = "rcontainer",
        at: str | None = None,
        note: str | None = None,
    ) -> None:
        previous = rec.state
        if previous == to:
            return
        entry = {"at": at or now_iso(), "from": str(previous) if previous else None, "to": str(to), "by": by}
        if note:
            entry["note"] = note
        rec.transitions.append(entry)
        rec.state = State(to)
        self._journal({"name": rec.name, **entry})

    def _journal(self, event: dict[str, Any]) -> None:
        """Append to the events journal ``rcontainer events`` follows (one JSON line each)."""
        path = paths.scope_dir("containers") / "events.jsonl"
        ensure_dir(path.parent)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, (json.dumps(event, sort_keys=True) + "\n").encode())
        finally:
            os.close(fd)

    def reconcile(self, rec: Record, observed: Observed | None = None, *, look: bool = True) -> State:
        """Bring the record in line with the runtime; transitions made outside rcontainer are
        recorded as ``observed``, at the time the runtime reports where it knows it."""
        current = State(rec.state or State.CREATED)
        if current == State.REMOVED:
            return current
        if observed is None and look:
            observed = self.backend(rec.family).observe(rec)
        seen = observed.state if observed is not None else State.REMOVED
        if seen != State.PAUSED:
            rec.paused_by_signal = False
        if seen != current:
            at = None
            if observed is not None and seen == State.STOPPED and observed.finished_at:
                at = observed.finished_at
            elif observed is not None and seen == State.RUNNING and observed.started_at:
                at = observed.started_at
            at = _normal_time(at)
            note = "noticed by rcontainer"
            if observed is not None and seen == State.STOPPED and observed.exit_code is not None:
                note += f"; exit code {observed.exit_code}"
            self._transition(rec, seen, by="observed", at=at, note=note)
            state.save(rec)
        if observed is not None and observed.exit_code is not None:
            rec.exit_code = observed.exit_code
        return seen

    # -- images --------------------------------------------------------------------------------
    def ensure_image(self, profile: dict[str, Any]) -> tuple[str, str]:
        """The profile's image reference and id, pulled or built as its pull policy says."""
        family = runtimes.get(profile["runtime"]).family
        return self.backend(family).ensure_image(profile, self.progress)

    def pull(self, ref: str) -> dict[str, Any]:
        if ref.endswith((".yaml", ".yml")):  # a profile: pull the image it names
            prof = self.load_profile(ref).data
            if prof.get("build"):
                raise BadInput(f"{ref}: the profile builds its image; use rcontainer build")
            ref = prof["image"]
        return self._backends.images.pull(ref, self.progress)

    def build(self, ref: str) -> dict[str, Any]:
        prof = self.load_profile(ref).data
        if not prof.get("build"):
            raise BadInput(f"{ref}: the profile has no build section (it uses image {prof.get('image')!r})")
        tag = f"localhost/rcontainer/{prof['name']}:latest"
        return self._backends.images.build(prof["build"], tag, self.progress)

    def images(self) -> list[dict[str, Any]]:
        return self._backends.images.list()

    def prune(self) -> dict[str, Any]:
        """Remove unpacked root filesystems (bwrap's cache) that no container of any scope uses."""
        from rcontainer.backends.bwrap.rootfs import prune_rootfs

        in_use = [rec.image_id for rec in state.all_records(every_scope=True) if rec.state != State.REMOVED]
        return {"freed_bytes": prune_rootfs(in_use)}

    # -- create / up ---------------------------------------------------------------------------
    def _labels(self, profile: Profile, rclass: runtimes.RuntimeClass, config_hash: str) -> dict[str, str]:
        return {
            f"{LABEL}.managed": "true",
            f"{LABEL}.scope": paths.scope(),
            f"{LABEL}.name": profile.name,
            f"{LABEL}.hash": config_hash,
            f"{LABEL}.runtime": rclass.name,
            f"{LABEL}.profile": str(profile.path),
        }

    def _hash(self, profile: Profile, image_id: str) -> str:
        return hashlib.sha256(f"{profile.config_hash()}\n{image_id}".encode()).hexdigest()[:16]

    def _usable_class(self, profile: Profile, allow_privileged: bool = False) -> runtimes.RuntimeClass:
        """The profile's runtime class, refused early (exit 7) when its binaries are missing.

        A privileged profile is refused unless the user passed ``--allow-privileged``: a
        profile alone must not widen privileges silently."""
        from rcontainer.runtimes.probe import check_usable

        if profile.data.get("privileged") and not allow_privileged:
            raise BadInput(
                f"{profile.path}: profile {profile.name!r} asks for privileged: true (every capability the user "
                "has, no seccomp or device restrictions)",
                hint="pass --allow-privileged to confirm",
            )
        rclass = runtimes.get(profile.runtime)
        check_usable(rclass)
        return rclass

    def _create(
        self,
        profile: Profile,
        rclass: runtimes.RuntimeClass,
        image_ref: str,
        image_id: str,
        old: Record | None,
    ) -> Record:
        config_hash = self._hash(profile, image_id)
        rec = Record(
            name=profile.name,
            scope=paths.scope(),
            container_name=container_name(profile.name),
            profile_path=str(profile.path),
            profile=profile.to_dict(mask_secrets=True),
            hash=config_hash,
            image=image_ref,
            image_id=image_id,
            runtime=rclass.name,
            family=rclass.family,
            log_path=str(state.log_path(profile.name)),
            created_at=now_iso(),
            state=old.state if old else None,
            transitions=old.transitions if old else [],
        )
        log = Path(rec.log_path)
        ensure_dir(log.parent)
        if log.exists():  # the previous container's output stays readable beside the new one
            log.replace(log.with_name(log.name + ".1"))
        backend = self.backend(rclass.family)
        labels = self._labels(profile, rclass, config_hash)
        try:
            backend.create(rec, profile.data, image_id, rclass, labels)
        except OperationFailed as exc:
            # A container of ours with this name but no record: a CLI killed between Podman's
            # create and the record's write. Remove it and create again; a container that is
            # not rcontainer's keeps its name and the error stands.
            if "already in use" not in str(exc) or not self._remove_orphan(rec):
                raise
            backend.create(rec, profile.data, image_id, rclass, labels)
        self._transition(
            rec, State.CREATED, note=f"image {image_ref} ({image_id[:12]}), runtime {rclass.name}"
        )
        state.save(rec)
        return rec

    def _remove_orphan(self, rec: Record) -> bool:
        """Remove this scope's container of the record's name that the runtime has but no record
        points at (a CLI killed between the runtime's create and the record's write)."""
        backend = self.backend(rec.family)
        if not backend.capabilities.orphans:
            return False
        return backend.remove_orphan(rec.name, paths.scope())

    def plan_up(self, profile: Profile, rec: Record | None, image_id: str, *, force: bool) -> Plan:
        rclass = runtimes.get(profile.runtime)
        plan = Plan(profile.name, "none", image=image_id, runtime=rclass.name)
        current = State(rec.state) if rec and rec.state else None
        if rec is None or current in (None, State.REMOVED):
            plan.action = "create"
            plan.reasons.append("no container yet")
            return plan
        new_hash = self._hash(profile, image_id)
        if force or new_hash != rec.hash:
            plan.action = "recreate"
            if force:
                plan.reasons.append("--force-recreate")
            plan.changed = changed_fields(rec.profile or {}, profile.to_dict(mask_secrets=True))
            if image_id != rec.image_id:
                plan.changed.append(f"image id {rec.image_id[:12]} -> {image_id[:12]}")
            if not plan.changed and not force:
                plan.changed.append("secret values")
            return plan
        plan.action = {State.RUNNING: "none", State.PAUSED: "unpause"}.get(current, "start")
        plan.reasons.append("profile unchanged" + ("; already running" if current == State.RUNNING else ""))
        return plan

    def up(
        self, ref: str, *, force_recreate: bool = False, dry_run: bool = False, allow_privileged: bool = False
    ) -> Plan:
        """Declarative: make the container of this profile exist, current, and running."""
        profile = self.load_profile(ref)
        rclass = self._usable_class(profile, allow_privileged)
        with state.lock(profile.name):
            rec = state.load(profile.name)
            if rec is not None:
                self.reconcile(rec)
            image_ref, image_id = self.ensure_image(profile.data)
            plan = self.plan_up(profile, rec, image_id, force=force_recreate)
            if dry_run:
                return plan
            if plan.action == "recreate":
                assert rec is not None
                self.backend(rec.family).remove(rec)
                self._transition(rec, State.REMOVED, note="recreated: " + ", ".join(plan.changed))
                state.save(rec)
            if plan.action in ("create", "recreate"):
                rec = self._create(profile, rclass, image_ref, image_id, rec)
            assert rec is not None
            if plan.action in ("create", "recreate", "start"):
                self.backend(rec.family).start(rec)
                self._transition(rec, State.RUNNING)
            elif plan.action == "unpause":
                self._unpause(rec)
            state.save(rec)
            plan.done = True
            return plan

    def create(self, ref: str, *, allow_privileged: bool = False) -> Record:
        profile = self.load_profile(ref)
        rclass = self._usable_class(profile, allow_privileged)
        with state.lock(profile.name):
            rec = state.load(profile.name)
            if rec is not None and self.reconcile(rec) != State.REMOVED:
                raise IllegalTransition(
                    f"cannot create {profile.name}: it exists and is {rec.state}",
                    hint="use rcontainer up to update it, or rcontainer rm first",
                )
            image_ref, image_id = self.ensure_image(profile.data)
            return self._create(profile, rclass, image_ref, image_id, rec)

    # -- transitions ---------------------------------------------------------------------------
    def _op(
        self, op: str, ref: str, action: Callable[[Record, Backend], None], *, force: bool = False
    ) -> Record:
        name = self.name_of(ref)
        with state.lock(name):
            rec = self._record(name)
            current = self.reconcile(rec)
            check_transition(op, current, name, force=force)
            backend = self.backend(rec.family)
            action(rec, backend)
            target = LEGAL[op][1]
            if target is not None:
                self._transition(rec, target)
            elif op == "kill":
                self.reconcile(rec)
            state.save(rec)
            return rec

    def start(self, ref: str) -> Record:
        return self._op("start", ref, lambda rec, b: b.start(rec))

    def stop(self, ref: str, timeout: int | None = None) -> Record:
        def act(rec: Record, b: Backend) -> None:
            b.stop(rec, _stop_timeout(rec, timeout))

        return self._op("stop", ref, act)

    def kill(self, ref: str, signal: str = "SIGKILL") -> Record:
        def act(rec: Record, b: Backend) -> None:
            if rec.paused_by_signal and signal not in ("SIGKILL", "KILL", "9"):
                b.unpause(rec)  # a stopped process would not act on the signal until continued
            b.kill(rec, signal)
            time.sleep(0.1)  # let the runtime see the process go before we look again

        return self._op("kill", ref, act)

    def pause(self, ref: str) -> Record:
        def act(rec: Record, b: Backend) -> None:
            rec.pause_method = b.pause(rec)
            rec.paused_by_signal = rec.pause_method == "signal"

        return self._op("pause", ref, act)

    def _unpause(self, rec: Record) -> None:
        self.backend(rec.family).unpause(rec)
        rec.paused_by_signal = False
        self._transition(rec, State.RUNNING)

    def unpause(self, ref: str) -> Record:
        return self._op("unpause", ref, lambda rec, b: self._unpause(rec))

    def restart(self, ref: str, timeout: int | None = None) -> Record:
        def act(rec: Record, b: Backend) -> None:
            if rec.state == State.RUNNING:
                b.stop(rec, _stop_timeout(rec, timeout))
                self._transition(rec, State.STOPPED)
            b.start(rec)

        return self._op("restart", ref, act)

    def rm(self, ref: str, *, force: bool = False) -> Record:
        if force:
            name = self.name_of(ref)
            with state.lock(name):
                rec = self._record(name)
                # removed, but ps shows an orphan of that name (see ps): rm -f cleans it up
                if self.reconcile(rec) == State.REMOVED and self._remove_orphan(rec):
                    return rec
        return self._op("rm", ref, lambda rec, b: b.remove(rec), force=force)

    def down(self, ref: str, timeout: int | None = None) -> Record:
        """Stop (gracefully, when running) and remove; the record and logs stay for history."""
        name = self.name_of(ref)
        with state.lock(name):
            rec = self._record(name)
            current = self.reconcile(rec)
            if current == State.REMOVED:
                return rec
            backend = self.backend(rec.family)
            if current == State.PAUSED:
                self._unpause(rec)
            if current in (State.RUNNING, State.PAUSED):
                backend.stop(rec, _stop_timeout(rec, timeout))
                self._transition(rec, State.STOPPED)
            backend.remove(rec)
            self._transition(rec, State.REMOVED)
            state.save(rec)
            return rec

    # -- looking -------------------------------------------------------------------------------
    def ps(self, *, all: bool = False) -> list[dict[str, Any]]:
        """Every container of this scope, reconciled, with one list call per family."""
        recs = state.all_records()
        by_family: dict[str, list[Record]] = {}
        for rec in recs:
            by_family.setdefault(rec.family, []).append(rec)
        observed: dict[str, Observed] = {}
        for family, family_recs in by_family.items():
            observed.update(self.backend(family).observe_all(family_recs, paths.scope()))
        rows = []
        matched: set[str] = set()
        for rec in recs:
            obs = observed.get(rec.name)
            if obs is not None and rec.backend.get("id") and obs.id != rec.backend["id"]:
                obs = None  # a container of the same name that is not this record's
            if obs is not None:
                matched.add(rec.name)
            if rec.state != State.REMOVED:
                try:
                    with state.lock(rec.name, timeout=0):
                        self.reconcile(rec, obs, look=False)
                except Busy:  # another command is changing it right now: show what we know
                    pass
            if rec.state == State.REMOVED and not all:
                continue
            rows.append(self._row(rec, obs))
        for name, obs in observed.items():
            if name not in matched:
                # ours (labelled) but not the record's: a CLI killed between Podman's create and
                # the record's write. Shown as Podman sees it; the next up or rm cleans it up.
                labels = obs.details.get("labels") or {}
                rows.append(
                    {
                        "name": name,
                        "state": str(obs.state),
                        "runtime": labels.get(f"{LABEL}.runtime"),
                        "profile": labels.get(f"{LABEL}.profile"),
                        "image": obs.details.get("image"),
                        "ports": obs.ports,
                        "uptime_seconds": None,
                        "started_at": obs.started_at,
                        "id": obs.id[:12],
                        "exit_code": None,
                        "orphan": True,
                    }
                )
        return rows

    def _row(self, rec: Record, obs: Observed | None) -> dict[str, Any]:
        started = obs.started_at if obs else None
        uptime = None
        if rec.state in (State.RUNNING, State.PAUSED):
            for t in reversed(rec.transitions):
                if t["to"] == State.RUNNING:
                    uptime = _seconds_since(t["at"])
                    break
        return {
            "name": rec.name,
            "state": rec.state,
            "runtime": rec.runtime,
            "profile": rec.profile_path,
            "image": rec.image,
            "ports": obs.ports if obs else [],
            "uptime_seconds": uptime,
            "started_at": started,
            "id": rec.backend.get("id", "")[:12],
            "exit_code": rec.exit_code if rec.state == State.STOPPED else None,
        }

    def inspect(self, ref: str) -> dict[str, Any]:
        name = self.name_of(ref)
        rec = self._record(name)
        obs = None
        if rec.state != State.REMOVED:
            obs = self.backend(rec.family).observe(rec)
            with state.lock(name):
                self.reconcile(rec, obs, look=False)
        prof = rec.profile or {}
        return {
            "name": rec.name,
            "state": rec.state,
            "runtime": rec.runtime,
            "family": rec.family,
            "container": rec.container_name,
            "id": rec.backend.get("id"),
            "image": rec.image,
            "image_id": rec.image_id,
            "profile": rec.profile_path,
            "hash": rec.hash,
            "pause_method": rec.pause_method or self._expected_pause_method(rec),
            "log_path": rec.log_path,
            "pid": obs.pid if obs else None,
            "health": obs.health if obs else None,
            "ports": obs.ports if obs else [],
            "exit_code": rec.exit_code,
            "security": {
                "no_new_privileges": prof.get("no_new_privileges", True),
                "privileged": prof.get("privileged", False),
                "cap_add": prof.get("cap_add") or [],
                "cap_drop": prof.get("cap_drop") or [],
                "read_only": prof.get("read_only", False),
                "userns": prof.get("userns") or "",
            },
            "runtime_details": obs.details if obs else {},
            "resolved_profile": prof,
            "transitions": rec.transitions,
        }

    def _expected_pause_method(self, rec: Record) -> str:
        return self.backend(rec.family).capabilities.pause_method

    def history(self, ref: str) -> list[dict[str, Any]]:
        name = self.name_of(ref)
        rec = self._record(name)
        if rec.state != State.REMOVED:
            with state.lock(name):
                self.reconcile(rec)
        return rec.transitions

    def log_path(self, ref: str) -> tuple[Path, Record]:
        name = self.name_of(ref)
        rec = self._record(name)
        return Path(rec.log_path), rec

    def is_active(self, rec: Record) -> bool:
        """Running or paused right now (for logs -f)."""
        fresh = state.load(rec.name) or rec
        if fresh.state == State.REMOVED:
            return False
        obs = self.backend(fresh.family).observe(fresh)
        return obs is not None and obs.state in (State.RUNNING, State.PAUSED)

    def wait(self, ref: str, timeout: float | None = None) -> int | None:
        name = self.name_of(ref)
        rec = self._record(name)
        current = self.reconcile(rec)
        if current == State.REMOVED:
            raise IllegalTransition(f"cannot wait for {name}: it is removed")
        code = self.backend(rec.family).wait(rec, timeout)
        with state.lock(name):
            rec = self._record(name)
            self.reconcile(rec)
        return code

    def run_healthcheck(self, ref: str) -> None:
        """Run the container's healthcheck once now (systemd units do, without Podman's timers)."""
        rec = self._record(self.name_of(ref))
        self.backend(rec.family).run_healthcheck(rec)

    def exec(self, ref: str, argv: list[str], *, tty: bool, env: dict[str, str] | None = None) -> int:
        name = self.name_of(ref)
        rec = self._record(name)
        check_transition("exec", self.reconcile(rec), name)
        return self.backend(rec.family).exec(rec, argv, tty=tty, env=env or {})

    def events(
        self, *, interval: float = 0.5, stop: Callable[[], bool] = lambda: False
    ) -> Iterator[dict[str, Any]]:
        """Live transitions: the journal every command appends to, plus what a periodic look at
        the runtimes notices (transitions made outside rcontainer)."""
        path = paths.scope_dir("containers") / "events.jsonl"
        ensure_dir(path.parent)
        path.touch(mode=0o600, exist_ok=True)
        offset = path.stat().st_size
        last_look = 0.0
        while not stop():
            if time.monotonic() - last_look >= interval * 4:
                self.ps(all=False)  # reconciles; observed transitions land in the journal
                last_look = time.monotonic()
            with path.open() as fh:
                fh.seek(offset)
                for line in fh:
                    if line.endswith("\n"):
                        offset += len(line.encode())
                        try:
                            yield json.loads(line)
                        except ValueError:
                            continue
            time.sleep(interval)


def _stop_timeout(rec: Record, timeout: int | None) -> int:
    """The timeout asked for, else the profile's stop_timeout."""
    return timeout if timeout is not None else int((rec.profile or {}).get("stop_timeout", 10))


def _normal_time(value: str | None) -> str | None:
    """A runtime's timestamp in the records' format; None when it has none (year 1)."""
    if not value or not value[:4].isdigit() or value.startswith("0001"):
        return None
    from rcontainer.engine.logs import parse_time

    try:
        return (
            parse_time(value.replace(" ", "T", 1).split(" ")[0])
            .astimezone(UTC)
            .isoformat(timespec="milliseconds")
        )
    except ValueError:
        return None


def _seconds_since(iso: str) -> float | None:
    try:
        then = datetime.fromisoformat(iso)
    except ValueError:
        return None
    if then.tzinfo is None:
        then = then.replace(tzinfo=UTC)
    return max(0.0, (datetime.now(UTC) - then).total_seconds())
