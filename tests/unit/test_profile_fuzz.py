"""Property tests: whatever is thrown at the loader, it returns a Profile or raises ProfileError.

Never another exception, and every problem carries a file and a message.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rcontainer.profile import Profile, ProfileError, load_profile
from rcontainer.profile.interpolate import InterpolationError, interpolate
from rcontainer.profile.schema import PROFILE

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((REPO / "profiles").glob("*.yaml"))
EXAMPLE_TEXTS = [p.read_text() for p in EXAMPLES]

# RC_FUZZ_EXAMPLES=5000 for a longer hunt than the default run
EXAMPLES_PER_TEST = int(os.environ.get("RC_FUZZ_EXAMPLES", "200"))
FUZZ = settings(
    max_examples=EXAMPLES_PER_TEST,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def check(folder: Path, text: str) -> None:
    for example in EXAMPLES:  # bases that mutated profiles may extend
        target = folder / example.name
        if not target.exists():
            shutil.copy(example, target)
    path = folder / "fuzzed.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        result = load_profile(path, environ={"HOME": str(folder), "GREETING": "hi"})
    except ProfileError as exc:
        assert exc.problems
        for problem in exc.problems:
            assert problem.file and problem.message
            assert problem.line is None or problem.line >= 1
            assert problem.column is None or problem.column >= 1
            str(problem)
    else:
        assert isinstance(result, Profile)
        result.config_hash()
        result.to_dict()


@FUZZ
@given(st.text(max_size=300))
def test_random_text(tmp_path: Path, text: str) -> None:
    check(tmp_path, text.encode("utf-8", "surrogatepass").decode("utf-8", "replace"))


def _mutate(text: str, data: st.DataObject) -> str:
    for _ in range(data.draw(st.integers(1, 4))):
        kind = data.draw(st.sampled_from(["delete", "insert", "replace-line", "duplicate-line", "swap"]))
        lines = text.split("\n")
        if kind == "delete" and text:
            i = data.draw(st.integers(0, len(text) - 1))
            j = data.draw(st.integers(i, min(len(text), i + 20)))
            text = text[:i] + text[j:]
        elif kind == "insert":
            i = data.draw(st.integers(0, len(text)))
            piece = data.draw(
                st.one_of(
                    st.sampled_from(
                        [":", "-", " ", "\t", "{", "}", "[", "]", "$", "${", "&a", "*a", "<<: ", "!!int "]
                    ),
                    st.sampled_from(
                        ["'", '"', "#", "\n", "  ", "x-", "0x", "~", "null", "true", "1e999", "-1"]
                    ),
                    st.text(max_size=8),
                )
            )
            text = text[:i] + piece + text[i:]
        elif kind == "replace-line" and lines:
            i = data.draw(st.integers(0, len(lines) - 1))
            indent = lines[i][: len(lines[i]) - len(lines[i].lstrip())]
            key = data.draw(
                st.sampled_from([*PROFILE.fields, "ports", "mode", "test", "memory", "value", "file"])
            )
            value = data.draw(
                st.one_of(
                    st.sampled_from(
                        ["", "x", "1", "-5", "[]", "{}", "[1, 2]", "{a: b}", "'8080:80'", "1g", "no"]
                    ),
                    st.sampled_from(
                        ["${X:?boom}", "$$", "~/x", "../..", "/dev/zero", "base.yaml", "fuzzed.yaml"]
                    ),
                    st.text(max_size=10),
                )
            )
            lines[i] = f"{indent}{key}: {value}"
            text = "\n".join(lines)
        elif kind == "duplicate-line" and lines:
            i = data.draw(st.integers(0, len(lines) - 1))
            lines.insert(i, lines[i])
            text = "\n".join(lines)
        elif kind == "swap" and len(lines) > 1:
            i = data.draw(st.integers(0, len(lines) - 2))
            lines[i], lines[i + 1] = lines[i + 1], lines[i]
            text = "\n".join(lines)
    return text


@FUZZ
@given(st.sampled_from(EXAMPLE_TEXTS), st.data())
def test_mutated_examples(tmp_path: Path, text: str, data: st.DataObject) -> None:
    check(tmp_path, _mutate(text, data))


yaml_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(
        ["8080:80", "1g", "30s", "SIGTERM", "NET_ADMIN", "keep-id", "none", "/data", "./d:/d:ro"]
    ),
)
yaml_values = st.recursive(
    yaml_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(
            st.one_of(
                st.sampled_from(["mode", "ports", "value", "secret", "file", "type", "target", "x-a"]),
                st.text(max_size=6),
            ),
            children,
            max_size=4,
        ),
    ),
    max_leaves=12,
)


@FUZZ
@given(st.dictionaries(st.sampled_from(list(PROFILE.fields)), yaml_values, max_size=8))
def test_random_structures(tmp_path: Path, doc: dict) -> None:
    doc = {k: v for k, v in doc.items() if k != "extends"} | {"image": "localhost/rcontainer/busybox:latest"}
    check(tmp_path, yaml.safe_dump(doc, allow_unicode=True))


@settings(max_examples=EXAMPLES_PER_TEST, deadline=None)
@given(st.text(alphabet=st.sampled_from("$${}:-?+AB_ab1 "), max_size=20))
def test_interpolation_only_raises_its_own_error(text: str) -> None:
    try:
        out = interpolate(text, {"A": "x", "B": ""})
    except InterpolationError:
        return
    assert "$" not in out or "$$" in text
