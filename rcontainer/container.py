"""What a container is, in the words the engine and every backend share.

``State`` is the lifecycle's vocabulary, ``Record`` what rcontainer keeps of one container
(the JSON file in the XDG state dir), ``Observed`` what a runtime reports about it right now.
They live here, beside neither the engine nor the backends, because both sides speak them and
the backends must never import the engine (tests/unit/test_layering.py).

A container is known by its key, ``PROJECT/NAME``: the same profile name in two projects gives
two containers. A record made before projects existed has no project of its own; its project
is its profile's folder's, as a new record of that profile would have.
"""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import PurePath
from typing import Any

from rcontainer.values import Value

# what a project may be called: Compose's rule (no '.', so 'rc-PROJECT.NAME' names one container)
PROJECT_PATTERN = r"^[a-z0-9][a-z0-9_-]*$"
PROJECT_MAX = 63


def project_name(text: str) -> str | None:
    """A folder's name as a project name, made as Compose makes one: lowercased, keeping only
    letters, digits, '_' and '-', starting with a letter or digit; None when nothing is left."""
    name = re.sub(r"[^a-z0-9_-]", "", text.lower()).lstrip("_-")[:PROJECT_MAX]
    return name or None


def folder_project(profile_path: str) -> str:
    """The project a profile file belongs to when nothing else says: its folder's ("" if none)."""
    return (project_name(PurePath(profile_path).parent.name) or "") if profile_path else ""


def make_key(project: str, name: str) -> str:
    """``PROJECT/NAME``; a container without a project (a record of old) is known by its name."""
    return f"{project}/{name}" if project else name


def split_key(key: str) -> tuple[str, str]:
    """(project, name) of a key; the project is "" for a bare name."""
    project, _, name = key.rpartition("/")
    return project, name


class State(StrEnum):
    CREATED = "created"
    RUNNING = "running"
    PAUSED = "paused"
    STOPPED = "stopped"
    REMOVED = "removed"


class Observed(Value):
    """What the runtime says about a container right now. (A plain class, as ``Record``: every
    command loads both; ``rcontainer.values`` says why.)"""

    __slots__ = ("state", "id", "pid", "started_at", "finished_at", "exit_code", "health", "ports", "details")

    def __init__(
        self,
        state: State,
        id: str,
        pid: int | None = None,
        started_at: str | None = None,
        finished_at: str | None = None,
        exit_code: int | None = None,
        health: str | None = None,  # healthy, unhealthy, starting, or None without a healthcheck
        ports: list[str] | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        self.state = state
        self.id = id
        self.pid = pid
        self.started_at = started_at
        self.finished_at = finished_at
        self.exit_code = exit_code
        self.health = health
        self.ports: list[str] = [] if ports is None else ports
        self.details: dict[str, Any] = {} if details is None else details


# Record's fields and their defaults, in the order records are written (a list or dict default
# is a fresh copy for each record)
RECORD_FIELDS: dict[str, Any] = {
    "name": "",
    "scope": "default",
    "project": "",  # "" only for a record of old whose profile's folder names no project
    "container_name": "",
    "profile_path": "",
    "profile": {},  # the resolved profile, secrets masked
    "hash": "",
    "image": "",
    "image_id": "",
    "runtime": "",
    "family": "podman",
    "log_path": "",
    "created_at": "",
    "state": None,  # a State once created
    "transitions": [],
    "backend": {},
    "exit_code": None,
    "pause_method": None,
    "paused_by_signal": False,
    "limits_note": None,  # why the profile's resource limits are not enforced here
    # who runs its healthchecks and restarts it: "systemd" when a unit's run-unit brought it up,
    # else "" (rcontainer's monitor, rcontainer.engine.monitor)
    "driver": "",
    "dev_shell": None,  # a dev shell's home and host integration (engine.devshell)
    # keys a newer or older rcontainer wrote that this one does not know: kept, written back
    "extra": {},
}


class Record(Value):
    """One container's record. A backend reads the identity fields and keeps its own fields
    (ids, folders) in ``backend``; the engine owns everything else and saves the record.
    The fields and their defaults are ``RECORD_FIELDS``; ``Record(name, field=value, ...)``."""

    __slots__ = tuple(RECORD_FIELDS)
    name: str
    scope: str
    project: str
    container_name: str
    profile_path: str
    profile: dict[str, Any]
    hash: str
    image: str
    image_id: str
    runtime: str
    family: str
    log_path: str
    created_at: str
    state: State | None
    transitions: list[dict[str, Any]]
    backend: dict[str, Any]
    exit_code: int | None
    pause_method: str | None
    paused_by_signal: bool
    limits_note: str | None
    driver: str
    dev_shell: dict[str, Any] | None
    extra: dict[str, Any]

    def __init__(self, name: str, **values: Any) -> None:
        unknown = set(values) - set(RECORD_FIELDS)
        if unknown:
            raise TypeError(f"Record has no field {sorted(unknown)[0]!r}")
        self.name = name
        for key, default in RECORD_FIELDS.items():
            if key != "name":
                value = values.get(key, default)
                setattr(
                    self, key, value.copy() if value is default and isinstance(value, (dict, list)) else value
                )

    @property
    def key(self) -> str:
        """``PROJECT/NAME``: what the record, its lock and its log file are kept under."""
        return make_key(self.project, self.name)

    @property
    def id(self) -> str:
        """The runtime's id of the container ("" before it is created)."""
        return str(self.backend.get("id") or "")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Record:
        known = set(RECORD_FIELDS) - {"extra"}
        values = {k: v for k, v in data.items() if k in known and v is not None}
        if values.get("state"):
            values["state"] = State(values["state"])
        values["paused_by_signal"] = bool(values.get("paused_by_signal"))
        if not values.get("project"):  # made before projects: its profile's folder's
            values["project"] = folder_project(str(values.get("profile_path") or ""))
        rec = cls(**values)
        rec.extra = {k: v for k, v in data.items() if k not in known and k != "extra"}
        return rec

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {key: getattr(self, key) for key in RECORD_FIELDS if key != "extra"}
        out["state"] = str(self.state) if self.state else None
        out.update(self.extra)
        return out
