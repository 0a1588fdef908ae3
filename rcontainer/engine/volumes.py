"""Named volumes: the ones rcontainer made, listed, removed, pruned; never another's.

A profile's ``volumes:`` entry of type ``volume`` names a volume in Podman's store. Before the
container is created the volume is made, labelled as rcontainer's (this scope and state folder,
and the project that first used it), unless it exists already: a volume the user (or Podman,
for a container made before this) made stays theirs, and ``volumes rm``/``prune`` leave it
alone. In use means mounted by any container, running or not, rcontainer's or not.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rcontainer import paths
from rcontainer.container import make_key
from rcontainer.engine.queries import LABEL
from rcontainer.errors import IllegalTransition, NotFound

if TYPE_CHECKING:
    from rcontainer.backends.base import VolumeStore


def ours(owner: str) -> dict[str, str]:
    """The labels that make a volume rcontainer's, in this scope and state folder (``owner``)."""
    return {f"{LABEL}.managed": "true", f"{LABEL}.scope": paths.scope(), f"{LABEL}.owner": owner}


def named(data: dict[str, Any]) -> list[str]:
    """The named volumes a (resolved) profile mounts."""
    return [v["source"] for v in data.get("volumes") or [] if v.get("type") == "volume"]


def ensure(store: VolumeStore, data: dict[str, Any], project: str, owner: str) -> None:
    """Make the named volumes the profile mounts, labelled as ours, when missing."""
    for name in named(data):
        store.ensure(name, {**ours(owner), f"{LABEL}.project": project})


def users(store: VolumeStore, name: str) -> tuple[list[str], list[str]]:
    """The containers that mount the volume: this scope's by ``PROJECT/NAME`` (rcontainer's),
    and the others by Podman's name for them."""
    mine, others = [], []
    for container in store.users(name):
        labels = container["labels"]
        if labels.get(f"{LABEL}.scope") == paths.scope() and labels.get(f"{LABEL}.name"):
            mine.append(make_key(labels.get(f"{LABEL}.project") or "", labels[f"{LABEL}.name"]))
        else:
            others.append(container["name"])
    return sorted(mine), sorted(others)


def _row(store: VolumeStore, volume: dict[str, Any]) -> dict[str, Any]:
    mine, others = users(store, volume["name"])
    return {
        "name": volume["name"],
        "project": volume["labels"].get(f"{LABEL}.project") or None,
        "driver": volume["driver"],
        "mountpoint": volume["mountpoint"],
        "created_at": volume["created_at"],
        "in_use_by": mine + others,
    }


def ls(store: VolumeStore, owner: str) -> list[dict[str, Any]]:
    """rcontainer's volumes (this scope and state folder), each with the containers using it."""
    return [_row(store, v) for v in store.list(ours(owner))]


def find(store: VolumeStore, name: str, owner: str) -> dict[str, Any]:
    """rcontainer's volume ``name``, refused (exit 3) when there is none or it is another's."""
    volume = store.get(name)
    if volume is None:
        raise NotFound(f"no volume named {name!r}", hint="list rcontainer's with: rcontainer volumes")
    if any(volume["labels"].get(k) != v for k, v in ours(owner).items()):
        raise NotFound(
            f"volume {name!r} was not made by rcontainer (or by another scope or state folder): left alone",
            hint=f"remove it with Podman if you mean to: podman volume rm {name}",
        )
    return _row(store, volume)


def must_go_first(store: VolumeStore, name: str, *, force: bool) -> list[str]:
    """The keys of rcontainer's containers that must be removed before the volume can (with
    ``force``); refused (exit 4), naming them, when it is in use without ``force``, and always
    when a container rcontainer did not make uses it (rcontainer never removes one)."""
    mine, others = users(store, name)
    if others:
        raise IllegalTransition(
            f"cannot remove volume {name}: in use by containers rcontainer did not make: {', '.join(others)}",
            hint="remove them with Podman first (podman rm NAME)",
        )
    if mine and not force:
        raise IllegalTransition(
            f"cannot remove volume {name}: it is in use by {', '.join(mine)}",
            hint="remove that container first (rcontainer down NAME), or pass --force to remove it too",
        )
    return mine


def remove(store: VolumeStore, name: str) -> None:
    """Remove the volume; refused (exit 4) when a container took it up meanwhile."""
    if not store.remove(name):
        mine, others = users(store, name)
        raise IllegalTransition(f"cannot remove volume {name}: it is in use by {', '.join(mine + others)}")


def prune(store: VolumeStore, owner: str, *, dry_run: bool = False) -> list[str]:
    """Remove rcontainer's volumes no container uses; the names (to be) removed."""
    unused = [v["name"] for v in store.list(ours(owner)) if not store.users(v["name"])]
    if dry_run:
        return unused
    return [name for name in unused if store.remove(name)]  # one used meanwhile stays


class Volumes:
    """What ``rcontainer volumes`` does, over the volume store; ``rm_container(key, force=True)``
    removes a container through the lifecycle (its removal is recorded)."""

    def __init__(self, store: VolumeStore, owner: str, rm_container: Callable[..., Any]) -> None:
        self.store, self.owner, self._rm_container = store, owner, rm_container

    def ls(self) -> list[dict[str, Any]]:
        return ls(self.store, self.owner)

    def rm(self, name: str, *, force: bool = False) -> dict[str, Any]:
        """Remove rcontainer's volume ``name``; with ``force``, first rcontainer's containers
        that use it; what was removed."""
        row = find(self.store, name, self.owner)
        row["removed_containers"] = must_go_first(self.store, name, force=force)
        for key in row["removed_containers"]:
            self._rm_container(key, force=True)
        remove(self.store, name)
        return row

    def prune(self, *, dry_run: bool = False) -> list[str]:
        return prune(self.store, self.owner, dry_run=dry_run)
