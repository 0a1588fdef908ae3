"""The command table: every command is found by its name, and running one loads only its module."""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import click
import pytest

import rcontainer.cli
from rcontainer.cli import COMMANDS, cli
from rcontainer.cli.app import App

# modules of rcontainer/cli/ that hold no command
NOT_COMMANDS = {
    "actions",
    "app",
    "commands",
    "completers",
    "fast",
    "output",
    "params",
    "process_options",
    "progress",
    "root",
}


def test_every_command_in_the_table_is_found_by_its_name():
    ctx = click.Context(cli)
    for name in COMMANDS:
        command = cli.get_command(ctx, name)
        assert isinstance(command, click.Command) and command.name == name, name
    assert cli.get_command(ctx, "frobnicate") is None


def test_every_command_a_module_defines_is_in_the_table():
    listed = set(COMMANDS.values())
    for info in pkgutil.iter_modules(rcontainer.cli.__path__):
        if info.name in NOT_COMMANDS:
            continue
        module = importlib.import_module(f"rcontainer.cli.{info.name}")
        commands = {attr: value for attr, value in vars(module).items() if isinstance(value, click.Command)}
        assert commands, f"rcontainer.cli.{info.name} defines no command: add it to NOT_COMMANDS"
        # a group's subcommands (``systemd install``) are reached through the group
        subcommands = [
            sub
            for value in commands.values()
            if isinstance(value, click.Group)
            for sub in value.commands.values()
        ]
        for attr, command in commands.items():
            if command not in subcommands:
                assert (info.name, attr) in listed, f"{info.name}.{attr} is not in rcontainer.cli.COMMANDS"


LOADED = """
import sys
from rcontainer.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
sys.stderr.write("LOADED=" + ",".join(sorted(
    m.rsplit(".", 1)[1] for m in sys.modules if m.startswith("rcontainer.cli.")
    and m.rsplit(".", 1)[1] not in {NOT_COMMANDS}
)) + "\\n")
""".replace("{NOT_COMMANDS}", repr(NOT_COMMANDS))


def loaded_modules(*argv: str, env: dict[str, str] | None = None) -> set[str]:
    proc = subprocess.run(
        [sys.executable, "-c", LOADED, *argv],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=60,
    )
    line = next(x for x in proc.stderr.splitlines() if x.startswith("LOADED="))
    return set(filter(None, line[len("LOADED=") :].split(",")))


@pytest.mark.parametrize(
    ("argv", "module"),
    [(["ps", "--help"], "looking"), (["exec", "--help"], "exec"), (["completion", "bash"], "completion")],
)
def test_a_command_loads_only_its_own_module(argv, module):
    assert loaded_modules(*argv) == {module}


def test_completing_a_command_argument_loads_only_that_command_module():
    env = {"_RCONTAINER_COMPLETE": "bash_complete", "COMP_WORDS": "rcontainer stop ", "COMP_CWORD": "2"}
    assert loaded_modules(env=env) == {"containers"}


def test_help_lists_every_command_but_run_unit():
    result = subprocess.run(
        [sys.executable, "-m", "rcontainer", "--help"], capture_output=True, text=True, timeout=60
    )
    listed = result.stdout.split("Commands:\n", 1)[1].split()
    assert {name for name in COMMANDS if name != "run-unit"} <= set(listed)
    assert "run-unit" not in listed


def test_emit_prints_json_or_the_text_and_nothing_for_empty_text(capsys):
    app = App(autostart=False)
    app.emit({"name": "web", "path": Path("/srv/web")}, True, lambda d: "never")
    assert json.loads(capsys.readouterr().out) == {"name": "web", "path": "/srv/web"}
    app.emit({"name": "web"}, False, lambda d: f"{d['name']}: ok")
    assert capsys.readouterr().out == "web: ok\n"
    app.emit([], False, lambda rows: "\n".join(rows))
    assert capsys.readouterr().out == ""
    app.emit({}, False, lambda d: "key: value\n")  # text with its own newline (YAML)
    assert capsys.readouterr().out == "key: value\n"


def test_notices_print_when_the_command_ends(capsys):
    app = App(autostart=False)
    app.notices.append("started a private Podman service")
    app.close()
    assert capsys.readouterr().err == "rcontainer: started a private Podman service\n"


def test_a_json_object_carries_the_notices_and_stderr_stays_quiet(capsys):
    app = App(autostart=False)
    app.notices += ["started a private Podman service", "no systemd user manager"]
    app.emit({"unit": "u", "notices": ["no systemd user manager"]}, True, lambda d: "never")
    app.close()
    out, err = capsys.readouterr()
    assert json.loads(out) == {
        "unit": "u",
        "notices": ["no systemd user manager", "started a private Podman service"],
    }
    assert err == ""


def test_a_json_listing_stays_an_array_and_its_notices_go_to_stderr(capsys):
    app = App(autostart=False)
    app.notices.append("started a private Podman service")
    app.emit([{"name": "web"}], True, lambda d: "never")
    app.close()
    out, err = capsys.readouterr()
    assert json.loads(out) == [{"name": "web"}]
    assert err == "rcontainer: started a private Podman service\n"


def test_text_results_leave_the_notices_on_stderr(capsys):
    app = App(autostart=False)
    app.notices.append("a note")
    app.emit({"unit": "u"}, False, lambda d: "u: installed")
    app.close()
    assert capsys.readouterr() == ("u: installed\n", "rcontainer: a note\n")


def test_validate_json_carries_its_warnings_once(run_main, write_profile, tmp_path):
    profile = write_profile(
        "web", image="localhost/x:latest", volumes=[f"{tmp_path}/missing:/data"], network={"mode": "none"}
    )
    result = run_main("validate", "--json", str(profile))
    assert result.code == 0, result.err
    (row,) = json.loads(result.out)
    assert any("bind source" in w for w in row["warnings"])
    assert result.err == "", "in the JSON, not again on stderr"
    text = run_main("validate", str(profile))
    assert "bind source" in text.err and text.code == 0
