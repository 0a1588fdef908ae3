"""The fast ``exec`` and ``shell`` path (``rcontainer.cli.fast_exec``) reads every form it accepts
exactly as click's commands do, and leaves every other form to click."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rcontainer.cli import fast_exec
from rcontainer.cli.exec import exec_, shell

WORDS = [
    "-i", "-t", "-T", "-it", "-ti", "-iT", "--tty", "--no-tty", "--interactive", "-u", "--user",
    "--user=root", "-uroot", "-w", "--workdir", "-e", "--env", "--env-file", "-h", "--help", "--",
    "-x", "root", "/tmp", "A=1", "B", "web", "sh", "-c", "echo hi", "", "--image", "--name",
    "--shell", "--home", "isolated", "--runtime",
]  # fmt: skip
# shell's own options, as click gives them when none is on the command line
SHELL_DEFAULTS = {"shell_path": None, "image": None, "box": None, "home": "isolated", "runtime": "default"}


def clicks(args: list[str]) -> tuple[str, list[str], dict] | None:
    """What click's exec or shell command receives for ``args`` (None: click refuses them;
    for shell, also when one of its own options is not at its default)."""
    command = exec_ if args[0] == "exec" else shell
    try:
        ctx = command.make_context(args[0], list(args[1:]), resilient_parsing=False)
    except Exception:  # a usage error, --help's exit
        return None
    params = dict(ctx.params)
    if command is shell:
        own = {key: params.pop(key) for key in SHELL_DEFAULTS}
        if own != SHELL_DEFAULTS or params["name"] is None:
            return None
        return params.pop("name"), list(params.pop("args")), params
    return params.pop("name"), list(params.pop("argv")), params


@pytest.mark.parametrize(
    "args",
    [
        ["exec", "web", "true"],
        ["exec", "-it", "web", "sh"],
        ["exec", "-i", "-T", "web", "cat"],
        ["exec", "-u", "root", "-w", "/tmp", "web", "id", "-u"],
        ["exec", "-e", "A=1", "-e", "B", "--env-file", "f.env", "web", "env"],
        ["exec", "web", "sh", "-c", "echo -i -t"],  # the command's own options stay its own
        ["exec", "-e", "-i", "web", "env"],  # a value that looks like an option is a value
        ["shell", "web"],
        ["shell", "-u", "root", "web", "-c", "id -u"],
        ["shell", "-T", "web", "-c", "exit 3"],
    ],
)
def test_the_forms_people_type_are_read_as_click_reads_them(args):
    assert fast_exec.parse(args) is not None
    assert fast_exec.parse(args) == clicks(args)


@pytest.mark.parametrize(
    "args",
    [
        ["exec", "--help"],
        ["exec", "web"],
        ["exec", "-i", "web"],
        ["exec", "--user=root", "web", "id"],
        ["exec", "-uroot", "web", "id"],
        ["exec", "--", "web", "true"],
        ["exec", "-x", "web", "true"],
        ["exec", "-u"],
        ["--no-autostart", "exec", "web", "true"],
        ["ps"],
        ["shell"],
        ["shell", "--image", "busybox"],
        ["shell", "--shell", "/bin/sh", "web"],
        ["shell", "--help"],
    ],
)
def test_every_other_form_is_left_to_click(args):
    assert fast_exec.parse(args) is None


@settings(max_examples=3000, deadline=None)
@given(st.sampled_from(["exec", "shell"]), st.lists(st.sampled_from(WORDS), max_size=8))
def test_whatever_the_fast_path_reads_click_reads_the_same(command, words):
    args = [command, *words]
    fast = fast_exec.parse(args)
    if fast is not None:
        assert fast == clicks(args), args


def test_the_fast_path_imports_no_click():
    code = (
        "import sys\n"
        "from rcontainer.cli import fast_exec\n"
        "fast_exec.parse(['exec', '-it', 'web', 'sh'])\n"
        "from rcontainer.cli import process_options, output\n"
        "assert 'click' not in sys.modules, 'click'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("value", ["1", "0", "true", "False", " yes", "n", "on", "OFF", "", "x", "2"])
def test_no_autostart_from_the_environment_is_read_as_click_reads_it(value, monkeypatch):
    from rcontainer.cli.root import cli

    monkeypatch.setenv("RCONTAINER_NO_AUTOSTART", value)
    try:
        theirs = not cli.make_context("rcontainer", ["ps"]).params["no_autostart"]
    except Exception:  # click refuses the value: so does the fast path (it leaves it to click)
        theirs = None
    assert fast_exec.autostart() == theirs
