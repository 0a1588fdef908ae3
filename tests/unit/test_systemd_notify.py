"""sd_notify over a real datagram socket (path and abstract), install/uninstall without a manager."""

from __future__ import annotations

import os
import socket
import stat
import uuid

from rcontainer import paths
from rcontainer.systemd import install, unit
from rcontainer.systemd.run_unit import notify
from tests.unit.profile_helpers import IMAGE, write


def test_notify_reaches_a_socket_path(tmp_path):
    path = tmp_path / "notify.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as server:
        server.bind(str(path))
        assert notify("READY=1\nSTATUS=up", str(path)) is True
        assert server.recv(4096) == b"READY=1\nSTATUS=up"


def test_notify_reaches_an_abstract_socket():
    name = f"rcontainer-test-{uuid.uuid4().hex}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as server:
        server.bind("\0" + name)
        assert notify("READY=1", "@" + name) is True
        assert server.recv(4096) == b"READY=1"


def test_notify_without_systemd_is_a_no_op(monkeypatch, tmp_path):
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    assert notify("READY=1") is False
    assert notify("READY=1", str(tmp_path / "nobody-listens")) is False


def test_install_writes_a_private_unit_and_says_what_to_run_later(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    profile = write(tmp_path / "shop", f"name: svc\nimage: {IMAGE}\n")
    result = install.install(profile, enable=True, now=True, manager=lambda: False)
    # named after its container, shop/svc: another folder's svc.yaml has a unit of its own
    assert result.path == paths.systemd_user_dir() / "rcontainer-shop.svc.service"
    assert stat.S_IMODE(os.stat(result.path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(result.path.parent).st_mode) == 0o700
    assert "run-unit" in result.path.read_text()
    assert result.actions == []
    assert any("systemctl --user enable --now rcontainer-shop.svc.service" in n for n in result.notices)

    removed = install.uninstall("svc", manager=lambda: False)  # the one unit of that name
    assert not removed.path.exists()
    assert any("daemon-reload" in n for n in removed.notices)


def test_manager_is_not_running_without_its_sockets(tmp_path):
    assert install.manager_running({"XDG_RUNTIME_DIR": str(tmp_path)}) is False


def test_restart_settings():
    assert unit.restart_settings("on-failure:5") == ("on-failure", 6)
    assert unit.restart_settings("unless-stopped") == ("always", None)
    assert unit.restart_settings("no") == ("no", None)
