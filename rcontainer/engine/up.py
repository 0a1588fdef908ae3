"""Declarative ``up`` of one profile: the plan, the guards, and the steps that make its container
exist, current, and running (``up_ref``: a profile by file or name, with its dependencies).

The plan (``plan.py``) compares the profile with the record; ``up`` then removes a container
whose profile changed, creates one where none is, and starts (or unpauses) it, all under the
container's lock. A container of the same key made from another profile file (a folder of the
same name elsewhere, the same profile name in another file) is never replaced without ``force``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rcontainer.container import Record, State, make_key
from rcontainer.engine import create, monitor_ctl, names, networks, store
from rcontainer.engine.names import same_file
from rcontainer.engine.plan import Action, Plan
from rcontainer.engine.states import Op
from rcontainer.errors import BadInput

if TYPE_CHECKING:
    from rcontainer.engine.core import Engine
    from rcontainer.profile import Profile


def up_profile(
    engine: Engine,
    profile: Profile,
    project: str,
    *,
    force_recreate: bool = False,
    dry_run: bool = False,
    allow_privileged: bool = False,
    force: bool = False,
    in_project: bool = False,
) -> Plan:
    """Up one loaded profile in ``project``: the plan, done unless ``dry_run``. ``in_project``:
    its project's folder is being brought up (it joins the project's network)."""
    t = engine.transitions
    rclass = create.usable_class(profile, allow_privileged)
    key = make_key(project, profile.name)
    with store.lock(key):
        rec = store.load(key)
        other = None
        if rec is not None and t.reconcile(rec) != State.REMOVED:
            other = other_owner(rec, profile, key, force=force)
        networks.join_project(profile, rec, in_project=in_project)
        limits_note = create.unenforced_limits(engine.backend(rclass.family), profile)
        if limits_note:
            engine.notices.append(f"{key}: {limits_note}")
        image = engine.ensure_image(profile.data)
        plan = engine.plan_up(profile, rec, image[1], force=force_recreate or other is not None)
        plan.project = project
        if other is not None:
            plan.reasons.append(f"--force: replaces the container of {other}")
        if plan.action == Action.RECREATE:
            _say_home_kept(engine, profile, key, dry_run)
        if dry_run:
            return plan
        if plan.action == Action.RECREATE:
            assert rec is not None
            why = ", ".join(plan.changed) or "; ".join(plan.reasons)  # --force-recreate alone
            t.step(rec, Op.RM, force=True, note=f"recreated: {why}")
            store.save(rec)
        if plan.action in (Action.CREATE, Action.RECREATE):
            rec = create.create(t, profile, project, rclass, image, rec, engine.remove_orphan)
        assert rec is not None
        if plan.action in (Action.CREATE, Action.RECREATE, Action.START):
            t.step(rec, Op.START)
        elif plan.action == Action.UNPAUSE:
            t.step(rec, Op.UNPAUSE)
        rec.driver = engine.driver
        store.save(rec)
        plan.done = True
    monitor_ctl.after_change(engine, rec)  # its healthchecks and restarts, without systemd
    return plan


def other_owner(rec: Record, profile: Profile, key: str, *, force: bool) -> str | None:
    """The profile file that made ``rec``'s container when it is not ``profile``'s: ``up`` refuses
    to replace another file's container unless forced (then this says whose it replaces)."""
    if not rec.profile_path or same_file(rec.profile_path, profile.path):
        return None
    if not force:
        raise BadInput(
            f"{profile.path}: the container {key} belongs to {rec.profile_path}, not to this file",
            hint="pass --force to replace it, or give this profile another name or project "
            "(its 'name:' or 'project:' field, or -p)",
        )
    return rec.profile_path


def _say_home_kept(engine: Engine, profile: Profile, key: str, dry_run: bool) -> None:
    """A dev shell with a home of its own is recreated around that home: say it stays."""
    from rcontainer.engine import devshell

    home = profile.data.get("home")
    if home in ("isolated", "overlay"):
        folder = paths_of(devshell.home_folders(key, home))
        verb = "would be" if dry_run else "is"
        engine.notices.append(f"{key}: {verb} recreated; its home folder is kept ({folder})")


def paths_of(folders: dict[str, str]) -> str:
    return ", ".join(f"{k}: {v}" for k, v in folders.items())


def up_ref(engine: Engine, ref: str, project: str | None, **options: Any) -> Plan:
    """``up FILE|NAME``: one profile up in its project (``project`` overrides it). A profile with
    ``depends_on`` is brought up as ``up FOLDER NAME`` is, its dependencies first (as ``docker
    compose up NAME`` does), each dependency's plan a notice. With ``in_project`` it is one
    member of its project whose dependencies someone else starts (a project's systemd units,
    each after its dependencies' units): this one only."""
    profile = create.profile_for(engine.load_profile, ref)
    if not profile.data.get("depends_on") or options.get("in_project"):
        options.pop("wait_timeout", None)
        return up_profile(
            engine, profile, names.check_project(project) if project else profile.project, **options
        )
    plans = engine.up_project(str(profile.path.parent), project=project, only=(profile.name,), **options)
    mine = next(plan for plan in plans if plan.name == profile.name)
    for plan in plans:
        if plan is not mine:
            said = "up already" if plan.action == "none" else str(plan.action)
            said = f"would {said}" if options.get("dry_run") and plan.action != "none" else said
            engine.notices.append(f"{plan.key}: {said} (a dependency of {profile.name})")
    return mine
