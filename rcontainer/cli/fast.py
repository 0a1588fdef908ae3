"""The hot commands without click: ``ps``, ``up``, ``down``, ``stop``, ``start``, ``rm``,
``exec`` and ``shell`` in the forms people type, read by a small table.

Importing click costs about 18 ms of every call (BENCHMARKS.md, where the time goes), more than
an eighth of an ``exec``, and these commands need none of it. ``FORMS`` says, for each, what
click's command says about the same words: its flags, its options with a value (converted as
click converts them), its arguments, and whether options may follow arguments. ``parse`` reads
an argument list by it and gives up (None) on anything else: ``--help``, a global option,
``--``, a glued (``-t5``, ``--timeout=5``) or combined (``-af``) option, an unknown option, a
value click would refuse, a form whose only reading is a usage error (``down`` with nothing to
act on), a command's rarer options (``shell --image``). Then ``main`` runs the click command as
always, so help, usage errors and every rare form keep their one implementation; and what a
command does once its arguments are read is one function (``actions``) that both call.
``tests/unit/test_fast.py`` checks that ``parse`` reads every form it accepts exactly as click's
commands do, over thousands of generated argument lists.
"""

from __future__ import annotations

import os
from typing import Any

from rcontainer.cli import actions


class NotHere(Exception):
    """Raised by a form's runner before it does anything: click's command should read this."""


def at_least_0(value: str) -> int:
    """``click.IntRange(0)``: ``int()`` of the text, refused below 0."""
    number = int(value)
    if number < 0:
        raise ValueError(value)
    return number


def at_least_0_float(value: str) -> float:
    """``click.FloatRange(0)``: ``float()`` of the text, refused below 0."""
    number = float(value)
    if number < 0:
        raise ValueError(value)
    return number


class Form:
    """How one command's arguments read: ``flags`` (word -> the parameters it sets), ``values``
    (word -> (parameter, converter); a converter's ValueError means click would refuse it),
    ``repeated`` (options given several times, collected in a tuple), ``arguments`` (names in
    order, each ``(name, many)``: one word, or all that are left), ``interspersed`` (options may
    follow arguments), ``defaults`` (what click gives a parameter not on the command line),
    ``accepts`` (a check of the parameters read; False leaves them to click) and ``run`` (what
    does the command: ``run(app, **parameters)``)."""

    __slots__ = ("flags", "values", "repeated", "arguments", "interspersed", "defaults", "accepts", "run")

    def __init__(
        self, *, flags=None, values=None, repeated=(), arguments=(), interspersed=True, defaults, accepts, run
    ):
        self.flags: dict[str, dict[str, Any]] = flags or {}
        self.values: dict[str, tuple[str, Any]] = values or {}
        self.repeated: tuple[str, ...] = repeated
        self.arguments: tuple[tuple[str, bool], ...] = arguments
        self.interspersed = interspersed
        self.defaults: dict[str, Any] = defaults
        self.accepts = accepts
        self.run = run


JSON = {"--json": {"as_json": True}}
PROJECT = {"-p": ("project", str), "--project": ("project", str)}
TIMEOUT = {"-t": ("timeout", at_least_0), "--timeout": ("timeout", at_least_0)}
# exec's and shell's process options (click: exec.py's _process_options)
PROCESS_FLAGS = {
    "-i": {"interactive": True},
    "--interactive": {"interactive": True},
    "-t": {"tty": True},
    "--tty": {"tty": True},
    "-T": {"tty": False},
    "--no-tty": {"tty": False},
    "-it": {"interactive": True, "tty": True},
    "-ti": {"interactive": True, "tty": True},
}
PROCESS_VALUES = {
    "-u": ("user", str),
    "--user": ("user", str),
    "-w": ("workdir", str),
    "--workdir": ("workdir", str),
    "-e": ("env", str),
    "--env": ("env", str),
    "--env-file": ("env_files", str),
}
PROCESS_DEFAULTS = {
    "interactive": False,
    "tty": None,
    "user": None,
    "workdir": None,
    "env": (),
    "env_files": (),
}
# shell's own options, which the fast path leaves to click: at their defaults here
SHELL_DEFAULTS = {"shell_path": None, "image": None, "box": None, "home": "isolated", "runtime": "default"}


def _no_env_file_folder(p: dict[str, Any]) -> bool:
    """click's ``Path(dir_okay=False)`` refuses a folder given to ``--env-file``, in its words."""
    return not any(os.path.isdir(f) for f in p["env_files"])


def _how(p: dict[str, Any]) -> Any:
    """The process options' ``ExecOptions`` (taken out of ``p``); a bad ``-e`` or
    ``--env-file`` is click's to say."""
    from rcontainer.cli import process_options

    options = {key: p.pop(key) for key in PROCESS_DEFAULTS}
    try:
        return process_options.how(**options)
    except process_options.OptionError:
        raise NotHere from None


def _exec(app, **p: Any) -> None:
    actions.exec_(app, p["name"], p["argv"], _how(p))


def _shell(app, **p: Any) -> None:
    actions.shell(app, p["name"], p["args"], _how(p), program=None)


def _targets(run: Any, values: dict[str, tuple[str, Any]] | None = None) -> Form:
    """``down``, ``stop``, ``start``: NAMEs or FOLDERs, or ``-p PROJECT`` alone (nothing to act
    on is click's usage error)."""
    values = {**PROJECT, **(values or {})}
    return Form(
        flags=JSON,
        values=values,
        arguments=(("names", True),),
        defaults={"as_json": False, **{key: None for key, _ in values.values()}},
        accepts=lambda p: bool(p["names"] or p["project"]),
        run=run,
    )


FORMS: dict[str, Form] = {
    "ps": Form(
        flags={"-a": {"show_all": True}, "--all": {"show_all": True}, **JSON},
        values=PROJECT,
        defaults={"show_all": False, "project": None, "as_json": False},
        accepts=lambda p: True,
        run=actions.ps,
    ),
    "up": Form(
        flags={
            "--force-recreate": {"force_recreate": True},
            "--force": {"force": True},
            "--dry-run": {"dry_run": True},
            "--allow-privileged": {"allow_privileged": True},
            "-q": {"quiet": True},
            "--quiet": {"quiet": True},
            **JSON,
        },
        values={**PROJECT, "--wait-timeout": ("wait_timeout", at_least_0_float)},
        arguments=(("profile", False), ("names", True)),
        defaults={
            "names": (),
            "project": None,
            "wait_timeout": None,
            "force_recreate": False,
            "force": False,
            "dry_run": False,
            "allow_privileged": False,
            "quiet": False,
            "as_json": False,
        },
        accepts=lambda p: not p["names"],  # NAME... of a FOLDER: click's command reads it
        run=actions.up,
    ),
    "down": _targets(actions.down, TIMEOUT),
    "stop": _targets(actions.stop, TIMEOUT),
    "start": _targets(actions.start),
    "rm": Form(
        flags={
            "-f": {"force": True},
            "--force": {"force": True},
            "--purge": {"purge": True},
            "--keep-logs": {"keep_logs": True},
            **JSON,
        },
        arguments=(("names", True),),
        defaults={"force": False, "purge": False, "keep_logs": False, "as_json": False},
        accepts=lambda p: bool(p["names"]),
        run=actions.rm,
    ),
    "exec": Form(
        flags=PROCESS_FLAGS,
        values=PROCESS_VALUES,
        repeated=("env", "env_files"),
        arguments=(("name", False), ("argv", True)),
        interspersed=False,
        defaults=PROCESS_DEFAULTS,
        accepts=lambda p: bool(p["argv"]) and _no_env_file_folder(p),
        run=_exec,
    ),
    "shell": Form(
        flags=PROCESS_FLAGS,
        values=PROCESS_VALUES,
        repeated=("env", "env_files"),
        arguments=(("name", False), ("args", True)),
        interspersed=False,
        defaults={**PROCESS_DEFAULTS, **SHELL_DEFAULTS},
        accepts=_no_env_file_folder,
        run=_shell,
    ),
}


def parse(args: list[str]) -> tuple[Form, dict[str, Any]] | None:
    """The command's form and its parameters as its click command receives them, or None: not
    a form this path reads (click's command reads it)."""
    form = FORMS.get(args[0]) if args else None
    if form is None:
        return None
    params = dict(form.defaults)
    words: list[str] = []
    i = 1
    while i < len(args):
        word = args[i]
        if words and not form.interspersed:  # the rest is the arguments' (exec NAME CMD...)
            words.extend(args[i:])
            break
        if word[:1] != "-" or word == "-":  # click: a lone - is an argument
            words.append(word)
        elif word in form.flags:
            params.update(form.flags[word])
        elif word in form.values and i + 1 < len(args):
            key, convert = form.values[word]
            i += 1
            try:
                value = convert(args[i])
            except ValueError:
                return None
            params[key] = params[key] + (value,) if key in form.repeated else value
        else:
            return None
        i += 1
    for name, many in form.arguments:
        if many:
            params[name], words = tuple(words), []
        elif words:
            params[name] = words.pop(0)
        else:
            return None  # a missing argument: click's usage error
    if words or not form.accepts(params):
        return None
    return form, params


def autostart() -> bool | None:
    """Whether a private Podman service may be started (``--no-autostart``'s variable, read
    as click reads it); None for a value click refuses."""
    value = os.environ.get("RCONTAINER_NO_AUTOSTART", "").strip().lower()
    yes, no = {"1", "true", "t", "yes", "y", "on"}, {"", "0", "false", "f", "no", "n", "off"}
    return None if value not in yes | no else value not in yes


def run(args: list[str]) -> int | None:
    """The exit status of the command run here, or None when this path does not read ``args``."""
    parsed, start = parse(args), autostart()
    if parsed is None or start is None or os.geteuid() == 0:
        return None  # root: the root group refuses, or --allow-root decides
    form, params = parsed
    from rcontainer.cli.app import App, CommandExit

    app = App(autostart=start)
    try:
        form.run(app, **params)
    except NotHere:
        return None
    except CommandExit as exc:
        return exc.status
    finally:
        app.close()
    return 0
