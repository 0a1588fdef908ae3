"""Which named volumes are rcontainer's and who uses them (pure logic over a volume store
double; the real Podman store is tested in tests/integration/test_volumes.py)."""

from __future__ import annotations

import pytest

from rcontainer.engine import volumes
from rcontainer.errors import IllegalTransition, NotFound

OWNER = "/state"


class Store:
    def __init__(self, vols: dict[str, dict], users: dict[str, list[dict]]) -> None:
        self.vols, self._users, self.removed = vols, users, []

    def get(self, name):
        v = self.vols.get(name)
        return (
            None
            if v is None
            else {"name": name, "driver": "local", "mountpoint": "", "created_at": None, **v}
        )

    def list(self, labels):
        return [self.get(n) for n, v in self.vols.items() if labels.items() <= v["labels"].items()]

    def users(self, name):
        return self._users.get(name, [])

    def remove(self, name):
        self.removed.append(name)
        return True


def mine(project="p"):
    return {"labels": {**volumes.ours(OWNER), "io.rcontainer.project": project}}


def ours_container(name, project="p"):
    labels = {"io.rcontainer.scope": "default", "io.rcontainer.name": name, "io.rcontainer.project": project}
    return {"name": f"rc-{project}.{name}", "labels": labels}


def test_a_volume_used_by_a_container_rcontainer_did_not_make_is_never_removed_even_with_force():
    store = Store({"data": mine()}, {"data": [ours_container("web"), {"name": "hand-made", "labels": {}}]})
    with pytest.raises(IllegalTransition, match="did not make: hand-made"):
        volumes.must_go_first(store, "data", force=True)


def test_in_use_needs_force_and_names_the_container():
    store = Store({"data": mine()}, {"data": [ours_container("web")]})
    with pytest.raises(IllegalTransition, match="in use by p/web") as exc:
        volumes.must_go_first(store, "data", force=False)
    assert exc.value.status == 4
    assert volumes.must_go_first(store, "data", force=True) == ["p/web"]


def test_another_owners_volume_is_not_found_and_prune_leaves_it():
    other = {"labels": {**volumes.ours("/elsewhere")}}
    store = Store({"theirs": other, "unlabelled": {"labels": {}}, "data": mine()}, {})
    with pytest.raises(NotFound, match="not made by rcontainer"):
        volumes.find(store, "theirs", OWNER)
    assert volumes.prune(store, OWNER, dry_run=True) == ["data"] and store.removed == []
    assert volumes.prune(store, OWNER) == ["data"] and store.removed == ["data"]


def test_named_lists_only_named_volumes():
    data = {
        "volumes": [{"type": "volume", "source": "v"}, {"type": "bind", "source": "/x"}, {"type": "tmpfs"}]
    }
    assert volumes.named(data) == ["v"]
