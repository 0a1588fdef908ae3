"""The CLI's error mapping: documented exit statuses, one-line messages, never a traceback."""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rcontainer import cli
from rcontainer.errors import ExitStatus

DOCUMENTED = {s.value for s in ExitStatus}


def test_root_is_refused_without_allow_root(monkeypatch, run_main):
    monkeypatch.delenv("RCONTAINER_ALLOW_ROOT", raising=False)
    monkeypatch.setattr(cli.os, "geteuid", lambda: 0)
    result = run_main("ps")
    assert result.code == ExitStatus.ROOT_REFUSED
    assert "rootless engine" in result.err and "--allow-root" in result.err


def test_root_may_still_validate_profiles(monkeypatch, run_main):
    monkeypatch.delenv("RCONTAINER_ALLOW_ROOT", raising=False)
    monkeypatch.setattr(cli.os, "geteuid", lambda: 0)
    hello = Path(__file__).resolve().parents[2] / "profiles" / "hello.yaml"
    result = run_main("validate", str(hello))
    assert result.code == 0 and "ok" in result.out


def test_unknown_command_is_a_usage_error(run_main):
    result = run_main("frobnicate")
    assert result.code == 2 and "No such command" in result.err


def test_no_socket_is_exit_6_with_a_hint(monkeypatch, tmp_path, run_main):
    monkeypatch.delenv("CONTAINER_HOST", raising=False)
    monkeypatch.setenv("RCONTAINER_RUNTIME_DIR", str(tmp_path))
    result = run_main("info")
    assert result.code == ExitStatus.NO_PODMAN
    assert "hint: start one with: podman system service" in result.err


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
def test_any_argument_list_gives_a_documented_status_and_no_traceback(argv, monkeypatch, tmp_path, run_main):
    # no Podman here: commands that parse fine end at "no socket" (autostart off)
    monkeypatch.delenv("CONTAINER_HOST", raising=False)
    monkeypatch.setenv("RCONTAINER_RUNTIME_DIR", str(tmp_path))
    monkeypatch.setenv("RCONTAINER_NO_AUTOSTART", "1")
    result = run_main(*argv)
    assert result.code in DOCUMENTED, (argv, result.code, result.err)
    assert "Traceback" not in result.err and "Traceback" not in result.out
