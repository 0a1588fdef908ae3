"""The fast path (``rcontainer.cli.fast``) reads every form it accepts exactly as click's
commands do, leaves every other form to click, and imports no click."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rcontainer.cli import fast
from rcontainer.cli.commands import COMMANDS

# words any command may meet: values, arguments, and forms the fast path leaves to click
ODD = [
    "web", "db", "a.yaml", "/tmp", "", "-", "--", "-h", "--help", "-x", "--nope", "0", "5", "-1",
    " 3", "1_0", "+2", "1.5", "nan", "inf", "-0", "x", "A=1", "B", "sh", "-c", "echo hi",
    "--timeout=5", "-t0", "-af", "-it", "-ti", "-iT", "-uroot", "--user=root", "--json",
]  # fmt: skip


def command(name: str):
    module, attr = COMMANDS[name]
    return getattr(importlib.import_module(f"rcontainer.cli.{module}"), attr)


def words_of(name: str) -> list[str]:
    """The words of ``name``'s click command (every option it has) and of its fast form."""
    form = fast.FORMS[name]
    options = [o for p in command(name).params for o in (*p.opts, *p.secondary_opts) if o.startswith("-")]
    return sorted({*options, *form.flags, *form.values, *ODD})


def clicks(name: str, args: list[str]) -> dict | None:
    """The parameters click's command gives its function for ``args``; None: click refuses them."""
    try:
        ctx = command(name).make_context(name, list(args), resilient_parsing=False)
    except Exception:  # a usage error, --help's exit
        return None
    return dict(ctx.params)


def fasts(args: list[str]) -> dict | None:
    parsed = fast.parse(args)
    return None if parsed is None else parsed[1]


@pytest.mark.parametrize(
    "args",
    [
        ["ps"],
        ["ps", "-a"],
        ["ps", "--all", "--json", "-p", "shop"],
        ["up", "web.yaml"],
        ["up", "-q", "shop/", "--json"],
        ["up", "web.yaml", "--force-recreate", "--wait-timeout", "2.5", "--dry-run"],
        ["down", "web"],
        ["down", "web", "-t", "0"],
        ["down", "-p", "shop"],
        ["down", "--timeout", "3", "a", "b", "--json"],
        ["stop", "web", "-t", "1"],
        ["start", "web", "db"],
        ["start", "-p", "shop"],
        ["rm", "-f", "web"],
        ["rm", "--purge", "--keep-logs", "a", "b"],
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
    assert fasts(args) is not None
    assert fasts(args) == clicks(args[0], args[1:])


@pytest.mark.parametrize(
    "args",
    [
        ["--no-autostart", "ps"],
        ["ps", "--help"],
        ["ps", "-aq"],
        ["ps", "extra"],
        ["up"],
        ["up", "shop/", "web"],  # NAME... of a folder: click's command
        ["up", "a.yaml", "--wait-timeout", "-1"],
        ["down"],
        ["down", "-t", "-1", "web"],
        ["down", "--timeout=5", "web"],
        ["down", "-t5", "web"],
        ["stop"],
        ["start"],
        ["rm"],
        ["rm", "-f"],
        ["rm", "-fq", "web"],
        ["inspect", "web"],
        ["exec", "--help"],
        ["exec", "web"],
        ["exec", "-i", "web"],
        ["exec", "--user=root", "web", "id"],
        ["exec", "-uroot", "web", "id"],
        ["exec", "--", "web", "true"],
        ["exec", "-x", "web", "true"],
        ["exec", "-u"],
        ["shell"],
        ["shell", "--image", "busybox"],
        ["shell", "--shell", "/bin/sh", "web"],
        ["shell", "--help"],
    ],
)
def test_every_other_form_is_left_to_click(args):
    assert fast.parse(args) is None


@settings(max_examples=4000, deadline=None)
@given(st.data())
def test_whatever_the_fast_path_reads_click_reads_the_same(data):
    name = data.draw(st.sampled_from(sorted(fast.FORMS)))
    words = data.draw(st.lists(st.sampled_from(words_of(name)), max_size=7))
    args = [name, *words]
    got = fasts(args)
    if got is not None:
        assert got == clicks(name, words), args


def test_every_fast_form_runs_what_its_click_command_runs():
    """Each form's parameters are the ones its click command's function takes."""
    for name, form in fast.FORMS.items():
        params = {p.name for p in command(name).params}
        assert set(form.defaults) | {a for a, _ in form.arguments} == params, name


def test_the_fast_path_imports_no_click():
    code = (
        "import sys\n"
        "from rcontainer.cli import fast\n"
        "for args in (['exec', '-it', 'web', 'sh'], ['ps', '-a'], ['up', 'a.yaml'], ['down', 'a']):\n"
        "    assert fast.parse(args) is not None\n"
        "from rcontainer.cli import process_options, output, actions, app\n"
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
    assert fast.autostart() == theirs
