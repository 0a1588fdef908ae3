"""Declarative ``up``: compare what the profile asks for with what exists, and say what to do.

The container's identity is a hash of its resolved profile and image id, stored in the record
(and as a label). A different hash means the container is recreated; the plan names the
fields that changed, so ``up --dry-run`` and the history say why.
"""

from __future__ import annotations

import hashlib
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from rcontainer.container import Record, State, make_key
from rcontainer.values import Value

if TYPE_CHECKING:
    from rcontainer.profile import Profile


class Action(StrEnum):
    CREATE = "create"
    RECREATE = "recreate"
    START = "start"
    UNPAUSE = "unpause"
    NONE = "none"


class Plan(Value):
    """What ``up`` will do (``--dry-run`` shows it; otherwise it is done)."""

    __slots__ = ("name", "action", "reasons", "changed", "image", "runtime", "done", "project")

    def __init__(
        self,
        name: str,
        action: Action,
        reasons: list[str] | None = None,
        changed: list[str] | None = None,
        image: str = "",
        runtime: str = "",
        done: bool = False,
        project: str = "",
    ) -> None:
        self.name = name
        self.action = action
        self.reasons: list[str] = [] if reasons is None else reasons
        self.changed: list[str] = [] if changed is None else changed
        self.image = image
        self.runtime = runtime
        self.done = done
        self.project = project

    @property
    def key(self) -> str:
        return make_key(self.project, self.name)

    def as_dict(self) -> dict[str, Any]:
        return {**{name: getattr(self, name) for name in self.__slots__}, "action": str(self.action)}


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


def config_hash(profile: Profile, image_id: str) -> str:
    return hashlib.sha256(f"{profile.config_hash()}\n{image_id}".encode()).hexdigest()[:16]


def plan_up(profile: Profile, rec: Record | None, image_id: str, runtime: str, *, force: bool) -> Plan:
    plan = Plan(profile.name, Action.NONE, image=image_id, runtime=runtime)
    current = rec.state if rec else None
    if rec is None or current in (None, State.REMOVED):
        plan.action = Action.CREATE
        plan.reasons.append("no container yet")
        return plan
    if force or config_hash(profile, image_id) != rec.hash:
        plan.action = Action.RECREATE
        if force:
            plan.reasons.append("--force-recreate")
        plan.changed = changed_fields(rec.profile, profile.to_dict(mask_secrets=True))
        if image_id != rec.image_id:
            plan.changed.append(f"image id {rec.image_id[:12]} -> {image_id[:12]}")
        if not plan.changed and not force:
            plan.changed.append("secret values")
        return plan
    plan.action = {State.RUNNING: Action.NONE, State.PAUSED: Action.UNPAUSE}.get(current, Action.START)
    plan.reasons.append("profile unchanged" + ("; already running" if current == State.RUNNING else ""))
    return plan
