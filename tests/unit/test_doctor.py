"""The pure parts of ``rcontainer doctor`` and the runtime probe: parsers and decisions fed
with fake file contents, no Podman."""

from __future__ import annotations

import os
import pickle
import shutil
import tempfile
from pathlib import Path

import pytest

from rcontainer import doctor
from rcontainer.container import Record, State
from rcontainer.engine import store
from rcontainer.errors import ExitStatus, RuntimeUnavailable
from rcontainer.runtimes import BUILTIN, PODMAN, RuntimeClass
from rcontainer.runtimes import probe as runtime_probe
from tests.unit import podman_info

HYBRID = """\
25 30 0:22 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755
26 25 0:23 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 cgroup2 rw
27 25 0:24 / /sys/fs/cgroup/systemd rw,nosuid shared:11 - cgroup cgroup rw,xattr,name=systemd
30 25 0:27 / /sys/fs/cgroup/memory rw,nosuid shared:14 - cgroup cgroup rw,memory
"""
PURE_V2 = (
    "35 30 0:30 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate\n"
)
PURE_V1 = "\n".join(line for line in HYBRID.splitlines() if "cgroup2" not in line)


def test_subids_are_found_by_name_or_uid_and_summed():
    text = "# comment\nalice:100000:65536\nbob:165536:65536\n1001:300000:1000\n"
    assert doctor.parse_subids(text, "alice", 1000) == [(100000, 65536)]
    assert doctor.parse_subids(text, "carol", 1001) == [(300000, 1000)]
    assert doctor.parse_subids(text, "dave", 1002) == []


def test_subid_check_says_how_many_ids_and_from_where(tmp_path):
    f = tmp_path / "subuid"
    f.write_text("alice:100000:65536\n")
    check = doctor.check_subids("subuid", f, "alice", 1000)
    assert check.ok and check.detail == "65536 ids from 100000"


def test_a_user_without_subids_fails_with_the_usermod_fix(tmp_path):
    f = tmp_path / "subgid"
    f.write_text("bob:100000:65536\n")
    check = doctor.check_subids("subgid", f, "alice", 1000)
    assert not check.ok and check.failed
    assert "usermod --add-subgids" in check.fix and "alice" in check.fix


def test_too_few_subids_fail(tmp_path):
    f = tmp_path / "subuid"
    f.write_text("alice:100000:1000\n")
    check = doctor.check_subids("subuid", f, "alice", 1000)
    assert check.failed and "only 1000 ids" in check.detail


def test_a_missing_subid_file_fails(tmp_path):
    assert doctor.check_subids("subuid", tmp_path / "nope", "alice", 1000).failed


@pytest.mark.parametrize(
    ("text", "mode"), [(HYBRID, "hybrid"), (PURE_V2, "v2"), (PURE_V1, "v1"), ("", "none")]
)
def test_cgroup_mode_is_read_from_mountinfo(text, mode):
    assert doctor.cgroup_mode(text) == mode


def test_hybrid_cgroups_mean_pause_by_signal_and_no_limits():
    check = doctor.check_cgroups("hybrid", set())
    assert not check.ok and check.severity == doctor.WARNING
    assert "pause by signal" in check.detail and "no resource limits" in check.detail


def test_v2_with_delegated_controllers_means_freezer_and_limits():
    check = doctor.check_cgroups("v2", {"cpu", "memory", "pids", "io"})
    assert check.ok and "freezer" in check.detail


def test_v2_without_memory_delegation_warns():
    check = doctor.check_cgroups("v2", {"pids"})
    assert not check.ok and "memory" in check.detail and "Delegate=" in check.fix


def test_userns_disabled_fails(tmp_path):
    (tmp_path / "max").write_text("0\n")
    check = doctor.check_userns(tmp_path / "max", tmp_path / "absent")
    assert check.failed and "sysctl" in check.fix


def test_userns_clone_off_fails(tmp_path):
    (tmp_path / "max").write_text("1000\n")
    (tmp_path / "clone").write_text("0\n")
    check = doctor.check_userns(tmp_path / "max", tmp_path / "clone")
    assert check.failed and "unprivileged_userns_clone=1" in check.fix


def test_userns_enabled_passes(tmp_path):
    (tmp_path / "max").write_text("1000\n")
    assert doctor.check_userns(tmp_path / "max", tmp_path / "absent").ok


def as_nobody(fn):
    """``fn()``, run as an unprivileged user when this is root (root may open any file, so a
    closed file looks open to it): in a child process that drops to uid 65534."""
    if os.geteuid() != 0:
        return fn()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = 1
        try:
            os.close(read)
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            with os.fdopen(write, "wb") as out:
                pickle.dump(fn(), out)
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    with os.fdopen(read, "rb") as got:
        data = got.read()
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, "the unprivileged child failed"
    return pickle.loads(data)


def test_closed_tun_is_an_error_only_when_a_profile_needs_a_private_network():
    folder = Path(tempfile.mkdtemp())  # not pytest's tmp_path: an unprivileged user must reach it
    try:
        folder.chmod(0o755)
        tun = folder / "tun"
        tun.write_text("")
        tun.chmod(0o000)
        needed = as_nobody(lambda: doctor.check_tun(tun, ["web"]))
        assert needed.failed and "chmod 0666" in needed.fix and "web" in needed.detail
        spare = as_nobody(lambda: doctor.check_tun(tun, []))
        assert not spare.ok and not spare.failed
    finally:
        shutil.rmtree(folder)


def test_ports_below_the_unprivileged_start_warn_with_the_profile_named(tmp_path):
    start = tmp_path / "start"
    start.write_text("1024\n")
    check = doctor.check_ports(start, [("web", 80), ("api", 8080)])
    assert not check.ok and "80 (web)" in check.detail and "8080" not in check.detail
    assert "ip_unprivileged_port_start=80" in check.fix
    assert doctor.check_ports(start, [("api", 8080)]).ok


def test_a_world_writable_state_dir_fails_with_chmod_0700(tmp_path):
    d = tmp_path / "state"
    d.mkdir()
    d.chmod(0o777)
    check = doctor.check_dir("state", d, os.getuid(), private=True)
    assert check.failed and check.fix == f"chmod 0700 {d}"


def test_a_readable_state_dir_warns(tmp_path):
    d = tmp_path / "state"
    d.mkdir()
    d.chmod(0o755)
    check = doctor.check_dir("state", d, os.getuid(), private=True)
    assert not check.ok and not check.failed


def test_a_missing_dir_is_fine(tmp_path):
    assert doctor.check_dir("cache", tmp_path / "nope", os.getuid(), private=False).ok


def test_linger_falls_back_to_the_linger_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no loginctl
    (tmp_path / "alice").write_text("")
    assert doctor.check_linger("alice", tmp_path).ok
    check = doctor.check_linger("bob", tmp_path)
    assert not check.ok and check.fix == "sudo loginctl enable-linger bob"


def test_profiles_needs_are_collected(tmp_path, monkeypatch):
    (tmp_path / "web.yaml").write_text(
        "name: web\nimage: busybox\nnetwork:\n  mode: private\n  ports: ['80:8080']\n"
    )
    (tmp_path / "quiet.yaml").write_text("name: quiet\nimage: busybox\nruntime: runc\nnetwork: none\n")
    (tmp_path / "broken.yaml").write_text("name: [\n")
    needs = doctor.user_needs(tmp_path)
    assert needs.tun == ["web"]
    assert needs.ports == [("web", 80)]
    assert needs.runtimes["runc"] == ["quiet"]


def test_check_usable_refuses_a_class_whose_binary_is_missing(monkeypatch):
    monkeypatch.setattr(runtime_probe, "EXTRA_BIN_DIRS", ())
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(RuntimeUnavailable) as err:
        runtime_probe.check_usable(BUILTIN["gvisor"])
    assert err.value.status == ExitStatus.RUNTIME_UNAVAILABLE
    assert "runsc" in err.value.message


def test_check_usable_names_a_missing_absolute_handler(tmp_path):
    rclass = RuntimeClass(
        "traced", PODMAN, str(tmp_path / "nope"), builtin=False, binaries=(str(tmp_path / "nope"),)
    )
    with pytest.raises(RuntimeUnavailable, match="does not exist or is not executable"):
        runtime_probe.check_usable(rclass)


def test_the_cache_key_changes_with_the_handler_binary(tmp_path):
    binary = tmp_path / "runtime"
    binary.write_text("#!/bin/sh\n")
    binary.chmod(0o755)
    rclass = RuntimeClass("x", PODMAN, str(binary), builtin=False, binaries=(str(binary),))
    before = runtime_probe.cache_key(rclass, "4.3.1")
    assert runtime_probe.cache_key(rclass, "4.3.1") == before
    binary.write_text('#!/bin/sh\nexec runc "$@"\n')
    assert runtime_probe.cache_key(rclass, "4.3.1") != before
    assert runtime_probe.cache_key(rclass, "5.0.0") != runtime_probe.cache_key(rclass, "4.3.1")


def test_cached_answers_are_used_until_the_key_changes(tmp_path, monkeypatch):
    binary = tmp_path / "fake-bwrap"
    binary.write_text("#!/bin/sh\nexit 0\n")
    binary.chmod(0o755)
    rclass = RuntimeClass("fake", "bwrap", str(binary), builtin=False, binaries=(str(binary),))
    calls: list[str] = []

    def fake_probe(rc: RuntimeClass, *, autostart: bool):
        calls.append(rc.name)
        return True, None

    monkeypatch.setattr(runtime_probe, "probe", fake_probe)
    first = runtime_probe.statuses({"fake": rclass})
    second = runtime_probe.statuses({"fake": rclass})
    assert calls == ["fake"] and first[0].usable and second[0].cached
    runtime_probe.statuses({"fake": rclass}, refresh=True)
    assert calls == ["fake", "fake"]
    binary.write_text("#!/bin/sh\nexit 0 # changed\n")
    runtime_probe.statuses({"fake": rclass})
    assert calls == ["fake", "fake", "fake"]
    assert Path(runtime_probe.cache_file()).exists()


# -- the rootless network and Podman 6, from /info answers (tests/unit/podman_info.py) -----------


def test_the_network_check_says_what_private_gets_here():
    check = doctor.check_network(podman_info.INFO_43, doctor.Needs())
    assert check.ok and check.severity == "info"
    assert check.name == "rootless network"
    assert check.detail == "slirp4netns (Podman's default: what network: private gets)"
    five = doctor.check_network(podman_info.INFO_54, doctor.Needs())
    assert (
        five.detail
        == "pasta (Podman's default: what network: private gets); network: slirp4netns also runs here"
    )


def test_a_profile_naming_a_network_this_podman_lacks_is_an_error():
    needs = doctor.Needs(networks={"pasta": ["profile web"]})
    check = doctor.check_network(podman_info.INFO_43, needs)
    assert check.failed
    assert "profile web name network pasta, which Podman 4.3.1 lacks" in check.detail
    assert check.fix.startswith("use network: private (Podman's default rootless network: slirp4netns here")


def test_cgroup_v1_and_hybrid_hosts_are_warned_about_before_podman_6():
    for mode in ("hybrid", "v1"):
        check = doctor.podman6_checks(mode, None, doctor.Needs())[0]
        assert check.name == "podman6 cgroups" and not check.ok and not check.failed
        assert "Podman 6 removed cgroup v1" in check.detail
        assert "systemd.unified_cgroup_hierarchy=1" in check.fix
    assert doctor.podman6_checks("v2", None, doctor.Needs())[0].ok


def by_name(checks) -> dict:
    return {c.name: c for c in checks}


def test_cni_boltdb_and_slirp4netns_profiles_are_warnings_with_their_fix_on_podman_4_3():
    needs = doctor.Needs(networks={"slirp4netns": ["profile old", "container api"]})
    checks = by_name(doctor.podman6_checks("hybrid", podman_info.INFO_43, needs))
    assert not any(c.failed for c in checks.values())  # all of it still works on 4.3
    cni = checks["podman6 network backend"]
    assert not cni.ok and "CNI" in cni.detail and 'network_backend = "netavark"' in cni.fix
    db = checks["podman6 database"]
    assert not db.ok and db.detail.startswith("database BoltDB (the only one before Podman 4.8)")
    assert "podman system migrate --migrate-db" in db.fix
    slirp = checks["podman6 slirp4netns"]
    assert (
        not slirp.ok
        and slirp.detail == "profile old, container api name network slirp4netns, which Podman 6 removed"
    )
    assert "network: private" in slirp.fix and "network: pasta" in slirp.fix


def test_a_podman_5_host_ready_for_podman_6_passes_them():
    checks = by_name(doctor.podman6_checks("v2", podman_info.INFO_54, doctor.Needs()))
    assert all(c.ok for c in checks.values()), checks
    assert checks["podman6 database"].detail == "database sqlite"


def test_a_boltdb_podman_5_says_so():
    info = {**podman_info.INFO_54, "host": {**podman_info.INFO_54["host"], "databaseBackend": "boltdb"}}
    db = by_name(doctor.podman6_checks("v2", info, doctor.Needs()))["podman6 database"]
    assert not db.ok and db.detail.startswith("database BoltDB: Podman 6 removed BoltDB")


def test_explicit_network_modes_are_collected_from_profiles_and_containers(tmp_path, isolated_dirs):
    (tmp_path / "old.yaml").write_text("name: old\nimage: busybox\nnetwork: slirp4netns\n")
    (tmp_path / "new.yaml").write_text("name: new\nimage: busybox\nnetwork: pasta\n")
    (tmp_path / "plain.yaml").write_text("name: plain\nimage: busybox\n")
    rec = Record(name="api", profile={"network": {"mode": "slirp4netns"}}, state=State.RUNNING)
    gone = Record(name="gone", profile={"network": {"mode": "slirp4netns"}}, state=State.REMOVED)
    for r in (rec, gone):
        store.save(r)
    assert doctor.user_needs(tmp_path).networks == {"slirp4netns": ["profile old"], "pasta": ["profile new"]}
    needs = doctor.user_needs(tmp_path, records=True)
    assert needs.networks["slirp4netns"] == ["profile old", "container api"]
    assert sorted(needs.tun) == ["new", "old", "plain"]


# -- project name resolution: dnsname (CNI, Podman 4) or aardvark-dns (netavark, Podman 5) ------


def test_cni_without_the_dnsname_plugin_warns_that_project_names_will_not_resolve():
    check = doctor.check_dns(podman_info.INFO_43, exists=lambda path: False)
    assert not check.ok and check.severity == "warning"
    assert "dnsname" in check.detail and "will not reach each other by name" in check.detail
    assert check.fix == "sudo apt-get install golang-github-containernetworking-plugin-dnsname"


def test_cni_finds_the_dnsname_plugin_where_podman_looks():
    check = doctor.check_dns(podman_info.INFO_43, exists=lambda path: path == "/usr/lib/cni/dnsname")
    assert check.ok and "/usr/lib/cni/dnsname" in check.detail


def test_netavark_without_aardvark_dns_names_its_package():
    info = {**podman_info.INFO_54, "host": {**podman_info.INFO_54["host"], "networkBackendInfo": {"dns": {}}}}
    check = doctor.check_dns(info, exists=lambda path: False)
    assert not check.ok and "aardvark-dns" in check.detail
    assert check.fix == "sudo apt-get install aardvark-dns"


def test_netavark_trusts_the_path_podman_reports_when_it_exists():
    dns = {"path": "/opt/podman/aardvark-dns", "package": "aardvark-dns_1.14", "version": "1.14"}
    info = {
        **podman_info.INFO_54,
        "host": {**podman_info.INFO_54["host"], "networkBackendInfo": {"dns": dns}},
    }
    check = doctor.check_dns(info, exists=lambda path: path == "/opt/podman/aardvark-dns")
    assert check.ok and "/opt/podman/aardvark-dns" in check.detail
    # a path Podman names that is gone (CNI names dnsname's path even when missing) is not trusted
    assert not doctor.check_dns(info, exists=lambda path: False).ok
