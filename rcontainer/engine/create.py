"""Creating a container: the runtime class checked, the record made, the backend's create as one step.

A record is written only after the runtime created the container; a CLI killed in between
leaves a container of ours without a record (an orphan), which the next create removes
before trying again.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from rcontainer import paths, runtimes
from rcontainer.backends.base import Backend
from rcontainer.container import Record, make_key, split_key
from rcontainer.engine import binds, networks, store
from rcontainer.engine.plan import config_hash
from rcontainer.engine.queries import LABEL
from rcontainer.engine.states import Op
from rcontainer.engine.store import owner
from rcontainer.engine.transitions import Transitions, now_iso
from rcontainer.errors import BadInput, NotFound, OperationFailed, RuntimeUnavailable
from rcontainer.files import ensure_dir

if TYPE_CHECKING:
    from rcontainer.profile import Profile


def container_name(key: str) -> str:
    """The runtime's name for a container: ``rc-PROJECT.NAME``, scoped, so tests and users never
    collide. A project name holds no '.', so no two keys share a name."""
    project, name = split_key(key)
    s = paths.scope()
    base = f"{project}.{name}" if project else name
    return f"rc-{base}" if s == paths.DEFAULT_SCOPE else f"rc-{s}-{base}"


def profile_for(load: Callable[[str | Path], Profile], ref: str) -> Profile:
    """The profile ``ref`` names, for ``up`` and ``create``: a plain name that is not in the
    profiles folder is the profile its container's record was made from (what a removed
    container's hint suggests), when that file is still there."""
    try:
        return load(ref)
    except NotFound:
        recs = [] if "/" in ref or ref.endswith((".yaml", ".yml")) else store.named(ref)
        rec = recs[0] if len(recs) == 1 else None  # in several projects: which is not clear
        if rec is None or not rec.profile_path or not Path(rec.profile_path).is_file():
            raise
        return load(Path(rec.profile_path))


def usable_class(profile: Profile, allow_privileged: bool = False) -> runtimes.RuntimeClass:
    """The profile's runtime class, refused early (exit 7) when its binaries are missing.

    A privileged profile is refused unless the user passed ``--allow-privileged``: a profile
    alone must not widen privileges silently."""
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


LIMITS = ("memory", "cpus", "pids")


def unenforced_limits(backend: Backend, profile: Profile) -> str | None:
    """Why the profile's resource limits would be dropped here (None when it sets none, or when
    they are enforced); refused (exit 7) when the profile says they are required. Podman accepts
    limits it cannot enforce without a word, so rcontainer says it, on every ``up``."""
    resources = profile.data.get("resources") or {}
    asked = [k for k in LIMITS if resources.get(k) is not None]
    if not asked:
        return None
    reason = backend.limits_unenforced()
    if reason is None:
        return None
    what = ", ".join(f"resources.{k}" for k in asked)
    if resources.get("required"):
        raise RuntimeUnavailable(
            f"{profile.path}: {what} cannot be enforced here: {reason}, and the profile says they are required",
            hint="run it where rootless containers get cgroups v2 with delegated controllers, "
            "or drop resources.required",
        )
    return f"{what} not enforced: {reason}"


def create(
    t: Transitions,
    profile: Profile,
    project: str,
    rclass: runtimes.RuntimeClass,
    image: tuple[str, str],
    old: Record | None,
    remove_orphan: Callable[[Record], bool],
) -> Record:
    """Create the profile's container in ``project`` from ``image`` (reference, id); ``old`` is
    the removed container's record, whose history the new one continues."""
    # here, not at the top: an ``up`` that finds its container up to date creates nothing and
    # imports none of them (cleanup brings the log readers, shutil and queue: ~5 ms)
    from rcontainer.engine import cleanup, devshell, volumes

    image_ref, image_id = image
    binds.check_exist(profile.name, profile.data.get("volumes"), "create")
    key = make_key(project, profile.name)
    limits_note = unenforced_limits(t.backends(rclass.family), profile)
    data = networks.for_podman(profile.data, project, profile.name)
    if limits_note:  # dropped, not passed on: runc refuses a memory limit it cannot apply
        data = {**data, "resources": {}}
    dev_shell = None
    if devshell.is_dev_shell(data):
        data, dev_shell = devshell.runtime_data(data, key, t.notices)
    rec = Record(
        name=profile.name,
        scope=paths.scope(),
        project=project,
        container_name=container_name(key),
        profile_path=str(profile.path),
        profile=profile.to_dict(mask_secrets=True),
        hash=config_hash(profile, image_id),
        image=image_ref,
        image_id=image_id,
        runtime=rclass.name,
        family=rclass.family,
        log_path=str(store.log_path(key)),
        created_at=now_iso(),
        state=old.state if old else None,
        transitions=old.transitions if old else [],
        limits_note=limits_note,
        dev_shell=dev_shell,
    )
    log = Path(rec.log_path)
    ensure_dir(log.parent)
    cleanup.keep_previous_log(log)  # the previous container's output stays readable (logs --previous)
    # made here, the user's alone: the runtime appends to an existing file and keeps its mode
    # (Podman 5.8's conmon would create it 0640 whatever the umask)
    os.close(os.open(log, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600))
    labels = {
        f"{LABEL}.managed": "true",
        f"{LABEL}.scope": paths.scope(),
        f"{LABEL}.name": profile.name,
        f"{LABEL}.project": project,
        f"{LABEL}.hash": rec.hash,
        f"{LABEL}.runtime": rclass.name,
        f"{LABEL}.profile": str(profile.path),
        f"{LABEL}.owner": owner(),
    }

    def act(rec: Record, backend: Backend) -> None:
        networks.ensure(backend, data, project, owner(), t.notices)
        if volumes.named(data):  # made here, labelled: Podman would make them unlabelled
            volumes.ensure(t.backends.volumes, data, project, owner())  # type: ignore[attr-defined]
        try:
            backend.create(rec, data, image_id, rclass, labels)
        except OperationFailed as exc:
            # A container of ours with this name but no record: remove it and create again; a
            # container that is not rcontainer's keeps its name and the error stands.
            if "already in use" not in str(exc):
                raise
            if not remove_orphan(rec):
                raise OperationFailed(
                    f"cannot create {rec.name}: the name {rec.container_name} is taken by a container "
                    "rcontainer did not make (rcontainer names its containers rc-PROJECT.NAME)",
                    hint=f"remove that container if you do not need it (podman rm -f {rec.container_name}), "
                    "or give the profile another name (its name: field)",
                ) from None
            backend.create(rec, data, image_id, rclass, labels)

    t.step(rec, Op.CREATE, act, note=f"image {image_ref} ({image_id[:12]}), runtime {rclass.name}")
    store.save(rec)
    return rec
