"""exec's options as podman exec's: the environment from -e and --env-file, and what the Podman
family asks the REST API for (the real sessions run in tests/integration/test_exec.py)."""

from __future__ import annotations

import pytest

from rcontainer.backends.base import ExecOptions
from rcontainer.backends.podman.exec_session import _config
from rcontainer.cli.process_options import OptionError, environment


def test_env_files_are_read_in_order_and_options_win(tmp_path):
    first = tmp_path / "a.env"
    first.write_text("# comment\nA=1\n\n   B=two words\nQ='quoted'\nSHELL_VAR\nUNSET_VAR\nE=\n")
    second = tmp_path / "b.env"
    second.write_text("A=2\n")
    env = environment(("A=3", "C=x=y", "SHELL_VAR"), (str(first), str(second)), caller={"SHELL_VAR": "mine"})
    assert env == {"A": "3", "B": "two words", "Q": "'quoted'", "SHELL_VAR": "mine", "E": "", "C": "x=y"}


@pytest.mark.parametrize("item", ["=value", "BAD NAME=1", ""])
def test_a_malformed_variable_is_refused(item):
    with pytest.raises(OptionError):
        environment((item,), (), caller={})


def test_a_missing_env_file_is_refused_with_its_name(tmp_path):
    with pytest.raises(OptionError, match="cannot read .*nope"):
        environment((), (str(tmp_path / "nope"),), caller={})


def test_the_session_asked_of_podman_has_no_detach_keys_and_the_options():
    config = _config(["sh"], ExecOptions(stdin=True, env={"A": "1"}, user="nobody", workdir="/tmp"))
    assert config == {
        "Cmd": ["sh"],
        "AttachStdin": True,
        "AttachStdout": True,
        "AttachStderr": True,
        "Tty": False,
        "DetachKeys": "",  # Ctrl-P Ctrl-Q is data, not a request to leave
        "Env": ["A=1"],
        "User": "nobody",
        "WorkingDir": "/tmp",
    }
    assert _config(["true"], ExecOptions())["AttachStdin"] is False


def test_a_terminal_session_gets_the_callers_term_unless_told_otherwise(monkeypatch):
    monkeypatch.setenv("TERM", "xterm-kitty")
    assert _config(["sh"], ExecOptions(tty=True))["Env"] == ["TERM=xterm-kitty"]
    assert _config(["sh"], ExecOptions(tty=True, env={"TERM": "vt100"}))["Env"] == ["TERM=vt100"]
    assert _config(["sh"], ExecOptions(tty=True))["AttachStdin"] is True
