"""Named volumes: rcontainer makes them labelled as its own, lists them with their users, and
removes or prunes only its own, on the real rootless Podman service."""

from __future__ import annotations

import json

from tests import harness


def podman_volumes() -> set[str]:
    out = harness.podman("volume", "ls", "--format", "json").stdout
    return {v["Name"] for v in json.loads(out or "[]") or []}


def test_volumes_lists_refuses_to_remove_one_in_use_and_prunes_only_its_own(rc, scope, busybox_profile):
    data, theirs = f"{scope}-data", f"{scope}-theirs"
    harness.podman("volume", "create", theirs)  # made by the user: never rcontainer's to remove
    try:
        app = busybox_profile(
            "app", command=["sleep", "1000"], stop_timeout=1, volumes=[f"{data}:/data", f"{theirs}:/theirs"]
        )
        rc("up", str(app)).ok()
        listed = rc("volumes", "--json").json()
        assert [v["name"] for v in listed] == [data], "only the volume rcontainer made"
        (row,) = listed
        project = rc.ps()["app"]["project"]
        assert row["project"] == project and row["driver"] == "local"
        assert row["mountpoint"].endswith(f"/{data}/_data")
        assert row["in_use_by"] == [f"{project}/app"]
        assert rc("volumes", "ls", "--json").json() == listed
        assert rc("volumes").ok().out.splitlines()[0].split() == [
            "NAME",
            "PROJECT",
            "DRIVER",
            "MOUNTPOINT",
            "IN",
            "USE",
            "BY",
        ]

        refused = rc("volumes", "rm", data)
        assert refused.code == 4, refused.err
        assert f"cannot remove volume {data}: it is in use by {project}/app" in refused.err
        assert data in podman_volumes()
        assert rc("volumes", "rm", theirs).code == 3, "not rcontainer's: left alone"

        rc("down", "app").ok()
        assert rc("volumes", "--json").json()[0]["in_use_by"] == []
        assert rc("volumes", "prune", "--dry-run", "--json").json() == {"dry_run": True, "removed": [data]}
        assert data in podman_volumes(), "a dry run removes nothing"
        assert rc("volumes", "prune").ok().out == f"removed: {data}\nremoved 1 volume\n"
        assert data not in podman_volumes() and theirs in podman_volumes()
        assert rc("volumes", "--json").json() == []

        # --force removes rcontainer's container that uses it (recorded), then the volume
        rc("up", str(app)).ok()
        forced = rc("volumes", "rm", "--force", "--json", data).json()
        assert forced["removed_containers"] == [f"{project}/app"]
        assert rc.ps("-a")["app"]["state"] == "removed"
        assert data not in podman_volumes()
    finally:
        harness.podman("rm", "-f", "--filter", f"label=io.rcontainer.scope={scope}", check=False)
        harness.podman("volume", "rm", "-f", theirs, data, check=False)


def test_a_volume_that_existed_before_stays_the_users(rc, scope, busybox_profile):
    mine = f"{scope}-mine"
    harness.podman("volume", "create", mine)
    try:
        rc("up", str(busybox_profile("app", command=["sleep", "1000"], volumes=[f"{mine}:/m"]))).ok()
        rc("down", "app").ok()
        assert rc("volumes", "prune", "--json").json()["removed"] == []
        assert mine in podman_volumes()
    finally:
        harness.podman("volume", "rm", "-f", mine, check=False)
