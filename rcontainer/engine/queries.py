"""Looking at containers: ps, inspect, history, wait. Each reconciles what it shows.

``ps`` makes one list call per runtime family, whatever the number of containers, and shows
containers of ours that have no record (orphans: a CLI killed between the runtime's create and
the record's write) as the runtime sees them, so the user can clean them up.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from typing import Any

from rcontainer import paths
from rcontainer.container import Observed, Record, State
from rcontainer.engine import store
from rcontainer.engine.transitions import Transitions, normal_time
from rcontainer.errors import Busy, IllegalTransition, OperationFailed, RcError

LABEL = "io.rcontainer"


def ps(t: Transitions, *, all: bool = False, project: str | None = None) -> list[dict[str, Any]]:
    """Every container of this scope (of one project, if given), reconciled, with one list call
    per family."""
    recs = [r for r in store.all_records() if project is None or r.project == project]
    by_family: dict[str, list[Record]] = {}
    for rec in recs:
        by_family.setdefault(rec.family, []).append(rec)
    observed: dict[str, Observed] = {}
    for family, family_recs in by_family.items():
        observed.update(t.backends(family).observe_all(family_recs, paths.scope()))
    # a record and what the runtime reports match by the container's id, so a container made
    # before projects (no project label) still finds its record
    by_id = {obs.id: obs for obs in observed.values() if obs.id}
    rows = []
    matched: set[str] = set()
    for rec in recs:
        obs = by_id.get(rec.id) if rec.id else None
        if obs is not None:
            matched.add(obs.id)
        if rec.state != State.REMOVED:
            try:
                with store.lock(rec.key, timeout=0):
                    t.reconcile(rec, obs, look=False)
            except Busy:  # another command is changing it right now: show what we know
                pass
            except OperationFailed as exc:  # no lock file on a full disk: look without one
                t.notices.append(exc.message)
                t.reconcile(rec, obs, look=False)
        if rec.state == State.REMOVED and not all:
            continue
        rows.append(row(rec, obs))
        if obs is not None and obs.health and rec.state == State.RUNNING:
            # the list gives the health, not what the last check said: one look at those only
            with contextlib.suppress(RcError):
                seen = t.backend(rec).observe(rec)
                rows[-1]["health_output"] = (seen.details.get("health_output") if seen else None) or None
    for key, obs in observed.items():
        if obs.id not in matched and (project is None or key.rpartition("/")[0] == project):
            rows.append(orphan_row(key, obs))
    return rows


def row(rec: Record, obs: Observed | None) -> dict[str, Any]:
    uptime = None
    if rec.state in (State.RUNNING, State.PAUSED):
        # from the last start: an unpause continues the same run, as Podman's uptime does
        for tr in reversed(rec.transitions):
            if tr["to"] == State.RUNNING and tr.get("from") != State.PAUSED:
                uptime = seconds_since(tr["at"])
                break
    return {
        "name": rec.name,
        "project": rec.project,
        "state": rec.state,
        "runtime": rec.runtime,
        "profile": rec.profile_path,
        "image": rec.image,
        "ports": obs.ports if obs else [],
        "uptime_seconds": uptime,
        "started_at": normal_time(obs.started_at) if obs else None,
        "id": rec.id[:12],
        "exit_code": rec.exit_code if rec.state == State.STOPPED else None,
        "health": obs.health if obs and rec.state in (State.RUNNING, State.PAUSED) else None,
        "health_output": None,
    }


def orphan_row(key: str, obs: Observed) -> dict[str, Any]:
    """Ours (labelled) but not the record's: shown as the runtime sees it; the next up or
    rm -f cleans it up."""
    labels = obs.details.get("labels") or {}
    project, _, name = key.rpartition("/")
    return {
        "name": name,
        "project": project,
        "state": str(obs.state),
        "runtime": labels.get(f"{LABEL}.runtime"),
        "profile": labels.get(f"{LABEL}.profile"),
        "image": obs.details.get("image"),
        "ports": obs.ports,
        "uptime_seconds": None,
        "started_at": normal_time(obs.started_at),
        "id": obs.id[:12],
        "exit_code": None,
        "orphan": True,
    }


def inspect(t: Transitions, rec: Record) -> dict[str, Any]:
    from rcontainer.engine import monitor_ctl  # here: ps never asks who drives a container

    obs = None
    if rec.state != State.REMOVED:
        obs = t.backend(rec).observe(rec)
        with store.lock(rec.key):
            t.reconcile(rec, obs, look=False)
    prof = rec.profile
    return {
        "name": rec.name,
        "project": rec.project,
        "state": rec.state,
        "runtime": rec.runtime,
        "family": rec.family,
        "container": rec.container_name,
        "id": rec.id or None,
        "image": rec.image,
        "image_id": rec.image_id,
        "profile": rec.profile_path,
        "hash": rec.hash,
        "pause_method": rec.pause_method or t.backend(rec).capabilities.pause_method,
        "log_path": rec.log_path,
        "pid": obs.pid if obs else None,
        "health": obs.health if obs else None,
        "health_output": obs.details.get("health_output") if obs else None,
        # who runs its healthchecks and restarts: rcontainer's monitor, systemd, or the runtime
        "driven_by": monitor_ctl.describe(rec) if rec.state != State.REMOVED else None,
        "ports": obs.ports if obs else [],
        "exit_code": rec.exit_code if rec.state == State.STOPPED else None,  # as ps gives it
        "security": {
            "no_new_privileges": prof.get("no_new_privileges", True),
            "privileged": prof.get("privileged", False),
            "cap_add": prof.get("cap_add") or [],
            "cap_drop": prof.get("cap_drop") or [],
            "read_only": prof.get("read_only", False),
            "userns": prof.get("userns") or "",
        },
        "resources": {
            **{k: (prof.get("resources") or {}).get(k) for k in ("memory", "cpus", "pids")},
            "enforced": rec.limits_note is None,
            "note": rec.limits_note,
        },
        # a dev shell's home and host integration, as decided at create (engine.devshell)
        "dev_shell": rec.dev_shell,
        "runtime_details": obs.details if obs else {},
        "resolved_profile": prof,
        "transitions": rec.transitions,
    }


def history(t: Transitions, rec: Record) -> list[dict[str, Any]]:
    if rec.state != State.REMOVED:
        with store.lock(rec.key):
            t.reconcile(rec)
    return rec.transitions


def wait(t: Transitions, rec: Record, timeout: float | None) -> int | None:
    """Wait for the container to stop; its exit code, or None when ``timeout`` ran out."""
    if t.reconcile(rec) == State.REMOVED:
        raise IllegalTransition(f"cannot wait for {rec.name}: it is removed")
    code = t.backend(rec).wait(rec, timeout)
    with store.lock(rec.key):
        fresh = store.load(rec.key)
        if fresh is not None:
            t.reconcile(fresh)
    return code


def is_active(t: Transitions, rec: Record) -> bool:
    """Running or paused right now (for logs -f)."""
    fresh = store.load(rec.key) or rec
    if fresh.state == State.REMOVED:
        return False
    obs = t.backend(fresh).observe(fresh)
    return obs is not None and obs.state in (State.RUNNING, State.PAUSED)


def seconds_since(iso: str) -> float | None:
    try:
        then = datetime.fromisoformat(iso)
    except ValueError:
        return None
    if then.tzinfo is None:
        then = then.replace(tzinfo=UTC)
    return max(0.0, (datetime.now(UTC) - then).total_seconds())
