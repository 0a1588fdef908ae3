"""Completion scripts: the shipped copies are current, the command prints them, requests are light."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from rcontainer.cli import cli, completers, completion

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("shell", completion.SHELLS)
def test_shipped_completion_scripts_are_current(shell):
    shipped = (REPO / "completions" / completion.FILES[shell]).read_text()
    assert shipped == completion.script(shell, cli), (
        "completions/ is stale: run python -m rcontainer completion --write completions/"
    )


@pytest.mark.parametrize("shell", completion.SHELLS)
def test_completion_command_prints_the_script(shell):
    result = CliRunner().invoke(cli, ["completion", shell])
    assert result.exit_code == 0, result.output
    assert "_RCONTAINER_COMPLETE" in result.output
    assert result.output == completion.script(shell, cli)


def test_completion_rejects_other_shells():
    result = CliRunner().invoke(cli, ["completion", "tcsh"])
    assert result.exit_code == 2


def test_runtime_completer_offers_builtin_classes():
    values = [item.value for item in completers.runtime_classes(None, None, "")]
    assert {"default", "runc", "crun", "bwrap"} <= set(values)
    assert [item.value for item in completers.runtime_classes(None, None, "cr")] == ["crun"]


PROBE = """
import sys
from rcontainer.cli import main
try:
    main([])
except SystemExit:
    pass
heavy = sorted({m.split(".")[0] for m in sys.modules} & {"podman", "yaml", "requests", "urllib3"})
sys.stderr.write("HEAVY=" + ",".join(heavy) + "\\n")
"""


def completion_env(words: str, cword: int) -> dict[str, str]:
    return {
        **os.environ,
        "_RCONTAINER_COMPLETE": "bash_complete",
        "COMP_WORDS": words,
        "COMP_CWORD": str(cword),
    }


@pytest.mark.parametrize(
    ("words", "cword"),
    [("rcontainer st", 1), ("rcontainer stop ", 2), ("rcontainer up ", 2), ("rcontainer systemd ", 2)],
)
def test_a_completion_request_imports_neither_podman_nor_yaml(words, cword):
    proc = subprocess.run(
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        env=completion_env(words, cword),
        timeout=60,
    )
    assert "HEAVY=\n" in proc.stderr, proc.stderr
    assert proc.stdout, proc.stderr  # it did answer


def test_importing_the_cli_imports_neither_podman_nor_yaml():
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "from rcontainer.cli import cli"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    modules = {
        line.rsplit("|", 1)[-1].strip().split(".")[0] for line in proc.stderr.splitlines() if "|" in line
    }
    assert "rcontainer" in modules
    assert not modules & {"podman", "yaml", "requests"}, sorted(modules & {"podman", "yaml", "requests"})


def test_subcommands_complete_through_the_protocol():
    proc = subprocess.run(
        [sys.executable, "-m", "rcontainer"],
        capture_output=True,
        text=True,
        env=completion_env("rcontainer sto", 1),
        timeout=60,
    )
    assert "plain,stop" in proc.stdout.splitlines()


def test_volume_names_come_from_the_records_profiles_sorted():
    from rcontainer.container import Record, State
    from rcontainer.engine import store

    def rec(name: str, state: State, *volumes: dict) -> Record:
        return Record(name=name, project="p", state=state, profile={"volumes": list(volumes)})

    store.save(rec("a", State.RUNNING, {"type": "volume", "source": "zeta", "target": "/z"}))
    store.save(
        rec(
            "b",
            State.REMOVED,  # its volume stays after it is removed
            {"type": "volume", "source": "alpha", "target": "/a"},
            {"type": "bind", "source": "/srv", "target": "/srv"},
            {"type": "tmpfs", "target": "/run"},
        )
    )
    assert [i.value for i in completers.volume_names(None, None, "")] == ["alpha", "zeta"]
    assert [i.value for i in completers.volume_names(None, None, "z")] == ["zeta"]


def test_completing_a_volume_name_imports_neither_podman_nor_yaml():
    proc = subprocess.run(
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        env=completion_env("rcontainer volumes rm ", 3),
        timeout=60,
    )
    assert "HEAVY=\n" in proc.stderr, proc.stderr
