"""Compose-style interpolation, alone and inside profiles."""

from __future__ import annotations

from pathlib import Path

import pytest

from rcontainer.profile.interpolate import InterpolationError, interpolate
from tests.unit.profile_helpers import IMAGE, load, one_problem

ENV = {"SET": "value", "EMPTY": "", "N": "3"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain", "plain"),
        ("$SET", "value"),
        ("${SET}", "value"),
        ("a${SET}b", "avalueb"),
        ("$SET.txt", "value.txt"),
        ("$UNSET", ""),
        ("${UNSET}", ""),
        ("${UNSET:-default}", "default"),
        ("${EMPTY:-default}", "default"),
        ("${SET:-default}", "value"),
        ("${UNSET-default}", "default"),
        ("${EMPTY-default}", ""),
        ("${SET:+alt}", "alt"),
        ("${EMPTY:+alt}", ""),
        ("${EMPTY+alt}", "alt"),
        ("${UNSET+alt}", ""),
        ("${SET:?msg}", "value"),
        ("${EMPTY?msg}", ""),
        ("$$", "$"),
        ("$$SET", "$SET"),
        ("$${SET}", "${SET}"),
        ("$$((i+1))", "$((i+1))"),
        ("${UNSET:-${SET}}", "value"),
        ("${UNSET:-${ALSO_UNSET:-deep}}", "deep"),
        ("${UNSET:-a $$ b}", "a $ b"),
        ("${SET:-${MISSING:?not evaluated}}", "value"),
        ("${UNSET:-}", ""),
        ("{$N}", "{3}"),
        ("100%", "100%"),
    ],
)
def test_forms(text: str, expected: str) -> None:
    assert interpolate(text, ENV) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("${UNSET:?please set it}", "required variable UNSET is not set: please set it"),
        ("${EMPTY:?must not be empty}", "required variable EMPTY is empty: must not be empty"),
        ("${UNSET?}", "required variable UNSET is not set"),
        ("${UNSET:-${INNER:?inner needed}}", "required variable INNER is not set: inner needed"),
        ("echo $(date)", "invalid '$' at character 6"),
        ("cost 5$", "invalid '$' at character 7"),
        ("${}", "invalid '${' at character 1"),
        ("${1abc}", "invalid '${' at character 1"),
        ("${SET", "unterminated '${SET'"),
        ("${SET:-abc", "unterminated '${'"),
        ("${SET!}", "invalid expression '${SET!'"),
    ],
)
def test_errors(text: str, message: str) -> None:
    with pytest.raises(InterpolationError) as info:
        interpolate(text, ENV)
    assert str(info.value).startswith(message)


def test_errors_do_not_quote_the_value() -> None:
    with pytest.raises(InterpolationError) as info:
        interpolate("s3cr3t-value $(x)", {})
    assert "s3cr3t" not in str(info.value)


def test_profile_values_are_interpolated_keys_are_not(tmp_path: Path) -> None:
    p = load(
        tmp_path,
        """\
        image: ${REGISTRY:-localhost}/rcontainer/busybox:${TAG}
        env:
          K: ${VALUE}
        stop_timeout: ${TIMEOUT}
        tty: ${TTY:-false}
        network:
          ports: ["${PORT:-8080}:80"]
        """,
        TAG="latest",
        VALUE="v",
        TIMEOUT="7",
        PORT="9090",
    )
    assert p.data["image"] == IMAGE
    assert p.data["stop_timeout"] == 7
    assert p.data["tty"] is False
    assert p.data["network"]["ports"][0]["host_port"] == 9090
    assert p.data["env"] == {"K": "v"}


def test_keys_are_not_interpolated(tmp_path: Path) -> None:
    p = one_problem(tmp_path, f"image: {IMAGE}\nenv:\n  $KEYNAME: x\n", KEYNAME="K")
    assert p.path == 'env["$KEYNAME"]'


def test_unset_variable_is_empty_without_problem(tmp_path: Path) -> None:
    p = load(tmp_path, f"image: {IMAGE}\nenv:\n  A: x${{NOT_SET}}y\n")
    assert p.data["env"]["A"] == "xy"


def test_os_environ_is_the_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from rcontainer.profile import load_profile

    monkeypatch.setenv("RC_TEST_GREETING", "hi")
    path = tmp_path / "p.yaml"
    path.write_text(f"image: {IMAGE}\nenv:\n  G: $RC_TEST_GREETING\n")
    assert load_profile(path).data["env"]["G"] == "hi"
