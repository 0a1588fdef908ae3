"""Warnings of the profile loader: what loads, but may not be what its author meant.

An unset variable without a default becomes an empty string (as in Compose, which warns about
it); a plain scalar such as ``yes``, ``1000:50`` or ``0755`` where text is expected reads one way
in YAML 1.1 and another in YAML 1.2 (Compose's). Each warning names the file, line, key and what
happened, once per variable and place.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rcontainer.engine.core import Engine
from rcontainer.profile import load_profile
from tests.unit.compose_helpers import compose
from tests.unit.profile_helpers import IMAGE, load, write

UNSET = f"""\
name: p
image: {IMAGE}
command: ["sh", "-c", "for i in 1 2; do echo $i ${{i}}; done"]
env:
  A: ${{GONE}}
  B: ${{GONE:-x}} ${{GONE-y}} $$GONE ${{GONE:+z}}
  C: $HOME
labels:
  also: $i
"""


def unset(variable: str) -> str:
    return f'the "{variable}" variable is not set: it becomes an empty string'


def test_each_unset_variable_is_named_with_its_file_line_and_key_once(tmp_path: Path) -> None:
    profile = load(tmp_path, UNSET, HOME="/home/u")
    path = tmp_path / "p.yaml"
    assert [w.split(" (set it")[0] for w in profile.warnings] == [
        f"{path}:3: command[2]: {unset('i')}",  # $i and ${i}: one warning for the place
        f"{path}:5: env.A: {unset('GONE')}",  # none for a default, $$, or :+
        f"{path}:9: labels.also: {unset('i')}",  # the same variable elsewhere: said there too
    ]
    assert "write ${i:-} for an empty default, or $$i for a literal $i" in profile.warnings[0]
    assert profile.data["command"][2] == "for i in 1 2; do echo  ; done"  # what Compose would run


def test_a_variable_that_is_set_even_empty_warns_nothing(tmp_path: Path) -> None:
    assert load(tmp_path, UNSET, HOME="/h", i="", GONE="g").warnings == ()


def test_an_unset_variable_in_a_base_names_the_bases_file(tmp_path: Path) -> None:
    write(tmp_path, "env:\n  X: $NOPE\n", "_base.yaml")
    profile = load(tmp_path, f"extends: _base.yaml\nimage: {IMAGE}\n")
    assert [w.split(": the")[0] for w in profile.warnings] == [f"{tmp_path / '_base.yaml'}:2: env.X"]


def test_warnings_leave_the_config_hash_alone(tmp_path: Path) -> None:
    quiet = load(tmp_path, f"name: p\nimage: {IMAGE}\nenv:\n  A: ''\n", "a.yaml")
    warned = load(tmp_path, f"name: p\nimage: {IMAGE}\nenv:\n  A: $NOPE\n", "a.yaml")
    assert warned.warnings and quiet.config_hash() == warned.config_hash()


@pytest.mark.parametrize(
    ("line", "key", "said"),
    [
        (
            "user: 1000:50",
            "user",
            "1000:50 is the number 60050 in YAML 1.1 and the text '1000:50' in YAML 1.2",
        ),
        ("workdir: /srv", None, None),
        (
            "command: [echo, on]",
            "command[1]",
            "on is the boolean true in YAML 1.1 and the text 'on' in YAML 1.2",
        ),
        ("command: [echo, '0755']", None, None),  # quoted: the text everywhere
        (
            "labels: {mode: 0755}",
            "labels.mode",
            "0755 is the number 493 in YAML 1.1 and the number 755 in YAML 1.2",
        ),
        (
            "env: {DEBUG: yes}",
            "env.DEBUG",
            "yes is the boolean true in YAML 1.1 and the text 'yes' in YAML 1.2",
        ),
        ("env: {N: 5, F: 1.5, T: true}", None, None),  # the same in both versions
        ("tty: yes", None, None),  # a boolean field: meant
    ],
)
def test_yaml_1_1_scalars_where_text_is_expected_are_warned_about(
    tmp_path: Path, line: str, key: str | None, said: str | None
) -> None:
    profile = load(tmp_path, f"name: p\nimage: {IMAGE}\n{line}\n")
    if key is None:
        assert profile.warnings == ()
        return
    [warning] = profile.warnings
    assert warning.startswith(
        f"{tmp_path / 'p.yaml'}:3: {key}: {said} (as Compose reads it); rcontainer reads"
    )
    text = said.split(" is ")[0]
    assert warning.endswith(f"quote it ('{text}') to mean the text")


def test_what_rcontainer_reads_is_said(tmp_path: Path) -> None:
    [warning] = load(tmp_path, f"image: {IMAGE}\nlabels: {{on: off}}\n").warnings
    assert "rcontainer reads the text 'false'" in warning


def test_validate_prints_the_warnings_on_stderr_and_in_json(run_main, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("GONE", raising=False)
    path = write(tmp_path / "shop", f"image: {IMAGE}\nenv:\n  A: $GONE\n", "web.yaml")
    result = run_main("validate", str(path))
    assert result.code == 0
    assert f"rcontainer: warning: {path}:3: env.A: {unset('GONE')}" in result.err
    folder = run_main("validate", "--json", str(tmp_path / "shop"))
    assert folder.code == 0
    [row] = json.loads(folder.out)  # the folder's results carry them too
    assert row["warnings"][0].startswith(f"{path}:3: env.A: {unset('GONE')}")
    assert unset("GONE") not in folder.err  # said once: in the JSON


def test_the_engine_passes_the_warnings_on_as_notices_once(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("GONE", raising=False)
    path = write(tmp_path, f"image: {IMAGE}\nenv:\n  A: $GONE\n", "web.yaml")
    engine = Engine()
    engine.load_profile(path)
    engine.load_profile(path)  # up loads a profile more than once: said once
    assert engine.notices == [f"warning: {load_profile(path).warnings[0]}"]


def test_compose_import_warns_about_unset_variables_like_compose(
    run_main, tmp_path: Path, monkeypatch
) -> None:
    for name in ("TAG", "i", "X"):
        monkeypatch.delenv(name, raising=False)
    path = compose(
        tmp_path,
        "services:\n  web:\n    image: busybox:${TAG:-1}\n"
        "    command: sh -c 'for i in 1 2; do echo $i $$i ${X:-d}; done'\n"
        "    environment:\n      A: ${X}\n",
    )
    result = run_main("import", str(path), "-o", str(tmp_path / "out"))
    assert result.code == 0, result.err
    warnings = [line for line in result.err.splitlines() if line.startswith("rcontainer: warning:")]
    assert [w.split(" (set it")[0] for w in warnings] == [
        f"rcontainer: warning: {path}:4: services.web.command: {unset('i')}",
        f"rcontainer: warning: {path}:6: services.web.environment.A: {unset('X')}",
    ]
