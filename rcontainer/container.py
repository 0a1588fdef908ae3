"""What a container is, in the words the engine and every backend share.

``State`` is the lifecycle's vocabulary, ``Record`` what rcontainer keeps of one container
(the JSON file in the XDG state dir), ``Observed`` what a runtime reports about it right now.
They live here, beside neither the engine nor the backends, because both sides speak them and
the backends must never import the engine (tests/unit/test_layering.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any


class State(StrEnum):
    CREATED = "created"
    RUNNING = "running"
    PAUSED = "paused"
    STOPPED = "stopped"
    REMOVED = "removed"


@dataclass
class Observed:
    """What the runtime says about a container right now."""

    state: State
    id: str
    pid: int | None = None
    started_at: str | None = None
    finished_at: str | None = None
    exit_code: int | None = None
    health: str | None = None  # healthy, unhealthy, starting, or None without a healthcheck
    ports: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class Record:
    """One container's record. A backend reads the identity fields and keeps its own fields
    (ids, folders) in ``backend``; the engine owns everything else and saves the record."""

    name: str
    scope: str = "default"
    container_name: str = ""
    profile_path: str = ""
    profile: dict[str, Any] = field(default_factory=dict)  # the resolved profile, secrets masked
    hash: str = ""
    image: str = ""
    image_id: str = ""
    runtime: str = ""
    family: str = "podman"
    log_path: str = ""
    created_at: str = ""
    state: State | None = None
    transitions: list[dict[str, Any]] = field(default_factory=list)
    backend: dict[str, Any] = field(default_factory=dict)
    exit_code: int | None = None
    pause_method: str | None = None
    paused_by_signal: bool = False
    limits_note: str | None = None  # why the profile's resource limits are not enforced here
    # keys a newer or older rcontainer wrote that this one does not know: kept, written back
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        """The runtime's id of the container ("" before it is created)."""
        return str(self.backend.get("id") or "")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Record:
        known = {f.name for f in fields(cls)} - {"extra"}
        values = {k: v for k, v in data.items() if k in known and v is not None}
        if values.get("state"):
            values["state"] = State(values["state"])
        values["paused_by_signal"] = bool(values.get("paused_by_signal"))
        rec = cls(**values)
        rec.extra = {k: v for k, v in data.items() if k not in known and k != "extra"}
        return rec

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "extra"}
        out["state"] = str(self.state) if self.state else None
        out.update(self.extra)
        return out
