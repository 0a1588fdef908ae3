"""The CLI's error mapping: documented exit statuses, one-line messages, never a traceback."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rcontainer import cli
from rcontainer.errors import ExitStatus

DOCUMENTED = {s.value for s in ExitStatus}


def run_main(argv, capsys) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        cli.main(argv)
    out, err = capsys.readouterr()
    code = exc.value.code if isinstance(exc.value.code, int) else 0
    return code, out, err


def test_root_is_refused_without_allow_root(monkeypatch, capsys):
    monkeypatch.delenv("RCONTAINER_ALLOW_ROOT", raising=False)
    monkeypatch.setattr(cli.os, "geteuid", lambda: 0)
    code, _, err = run_main(["ps"], capsys)
    assert code == ExitStatus.ROOT_REFUSED
    assert "rootless engine" in err and "--allow-root" in err


def test_root_may_still_validate_profiles(monkeypatch, capsys):
    monkeypatch.delenv("RCONTAINER_ALLOW_ROOT", raising=False)
    monkeypatch.setattr(cli.os, "geteuid", lambda: 0)
    hello = Path(__file__).resolve().parents[2] / "profiles" / "hello.yaml"
    code, out, _ = run_main(["validate", str(hello)], capsys)
    assert code == 0 and "ok" in out


def test_unknown_command_is_a_usage_error(capsys):
    code, _, err = run_main(["frobnicate"], capsys)
    assert code == 2 and "No such command" in err


def test_no_socket_is_exit_6_with_a_hint(monkeypatch, tmp_path, capsys):
    monkeypatch.delenv("CONTAINER_HOST", raising=False)
    monkeypatch.setenv("RCONTAINER_RUNTIME_DIR", str(tmp_path))
    code, _, err = run_main(["info"], capsys)
    assert code == ExitStatus.NO_PODMAN
    assert "hint: start one with: podman system service" in err


ARG = st.one_of(
    st.sampled_from(
        [
            "up",
            "down",
            "stop",
            "-t",
            "-1",
            "x",
            "--json",
            "kill",
            "-s",
            "NOPE",
            "logs",
            "--since",
            "yesterday",
            "--tail",
            "-3",
            "exec",
            "--",
            "rm",
            "-f",
            "validate",
            "render",
            "wait",
            "--timeout",
            "abc",
            "pause",
            "history",
            "ps",
            "-a",
            "inspect",
            "pull",
            "images",
            "runtimes",
        ]
    ),
    st.text(min_size=0, max_size=12),
)


@settings(
    max_examples=int(os.environ.get("RC_FUZZ_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(argv=st.lists(ARG, max_size=6))
def test_any_argument_list_gives_a_documented_status_and_no_traceback(argv, monkeypatch, tmp_path, capsys):
    # no Podman here: commands that parse fine end at "no socket" (autostart off)
    monkeypatch.delenv("CONTAINER_HOST", raising=False)
    monkeypatch.setenv("RCONTAINER_RUNTIME_DIR", str(tmp_path))
    monkeypatch.setenv("RCONTAINER_NO_AUTOSTART", "1")
    code, out, err = run_main(argv, capsys)
    assert code in DOCUMENTED, (argv, code, err)
    assert "Traceback" not in err and "Traceback" not in out
