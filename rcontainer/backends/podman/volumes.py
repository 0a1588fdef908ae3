"""Named volumes in Podman's volume store: made (labelled) before a container that mounts them,
listed, and removed only when they are rcontainer's.

Podman makes a named volume a create request mounts when it is missing, without labels; the
engine makes it first (``ensure``), labelled as rcontainer's, so ``volumes prune`` can tell
rcontainer's volumes from the user's. A volume that already exists is left as it is: made by
someone else, it stays theirs.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rcontainer.backends.podman.api import quoted

if TYPE_CHECKING:
    from rcontainer.backends.podman.api import LibpodClient


def _volume(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": item.get("Name", ""),
        "driver": item.get("Driver") or "local",
        "mountpoint": item.get("Mountpoint") or "",
        "created_at": item.get("CreatedAt"),
        "labels": item.get("Labels") or {},
    }


class PodmanVolumes:
    """Podman's named volumes (``/libpod/volumes``), through the family's client."""

    def __init__(self, api: Callable[[], LibpodClient]) -> None:
        self._api = api  # the backend's client, found (or started) on first use

    def ensure(self, name: str, labels: dict[str, str]) -> bool:
        """Make the volume ``name`` labelled ``labels`` unless it exists; whether it was made."""
        api = self._api()
        if api.get_json(f"/volumes/{quoted(name)}/json") is not None:
            return False
        made = api.request(
            "POST",
            "/volumes/create",
            body={"Name": name, "Labels": labels},
            what=f"create volume {name}",
            ok=(409, 500),
        )
        if made.status < 300:
            return True
        if "already exists" in made.message():  # made meanwhile (another container, another thread)
            return False
        from rcontainer.backends.podman.api import refusal

        raise refusal(made.status, f"create volume {name}", made.message())

    def get(self, name: str) -> dict[str, Any] | None:
        """The volume ``name`` (name, driver, mountpoint, created_at, labels), or None."""
        item = self._api().get_json(f"/volumes/{quoted(name)}/json")
        return None if item is None else _volume(item)

    def list(self, labels: dict[str, str]) -> list[dict[str, Any]]:
        """Every volume whose labels include ``labels``, by name."""
        filters = json.dumps({"label": [f"{k}={v}" for k, v in labels.items()]})
        items = self._api().get_json("/volumes/json", {"filters": filters}) or []
        return sorted((_volume(i) for i in items), key=lambda v: v["name"])

    def users(self, name: str) -> list[dict[str, Any]]:
        """The containers (any state, anyone's) that mount the volume: Podman's name and labels."""
        filters = json.dumps({"volume": [name]})
        items = self._api().get_json("/containers/json", {"all": "true", "filters": filters}) or []
        return [{"name": (i.get("Names") or [""])[0], "labels": i.get("Labels") or {}} for i in items]

    def remove(self, name: str) -> bool:
        """Remove the volume unless a container uses it (Podman refuses: 409); whether it went."""
        gone = self._api().request(
            "DELETE", f"/volumes/{quoted(name)}", what=f"remove volume {name}", ok=(404, 409)
        )
        return gone.status < 300
