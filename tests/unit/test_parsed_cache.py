"""The cache of parsed YAML files (``rcontainer.profile.parsed``): a cached tree is the tree a
fresh parse gives, so a profile means the same with or without it; what did not parse cleanly is
never kept; a damaged entry is a parse; and a cached profile loads without importing PyYAML."""

from __future__ import annotations

import json
import marshal
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from rcontainer.profile import load_profile, parsed
from rcontainer.profile.loader import _compose, read_yaml
from rcontainer.profile.schema import Ctx
from tests.unit.profile_helpers import IMAGE

EXAMPLES = sorted((Path(__file__).parents[2] / "profiles").glob("*.yaml"))
TEXTS = [
    f"name: a\nimage: {IMAGE}\n",
    "base: &b {x: 1, y: [1, 2.5, true, null, '3']}\nboth:\n  <<: *b\n  y: ~\nlist: [*b, *b]\n",
    "user: 1000:50\nmode: 0755\nflag: on\nbig: 123456789012345678901234567890\nf: .nan\ninf: -.inf\n",
    "é: ünïcödé ☃\nmulti: |\n  line one\n  line two\nfolded: >\n  a\n  b\n",
    "- 1\n- [2, [3, {four: 4}]]\n- !!str 5\n- 0x1f\n- 1_000\n- 2001-12-14\n",
]


def plain(tree):
    """A tree as comparable text (nan is nan), with every node's file."""
    return None if tree is None else repr((parsed._plain(tree), _files(tree)))


def _files(node) -> list[str]:
    out = [node.file]
    children = node.value.values() if isinstance(node.value, dict) else node.value
    for child in children if isinstance(node.value, (dict, list)) else ():
        out += _files(child)
    for key in (node.keys or {}).values():
        out += _files(key)
    return out


# the examples that hold no secret (one that does is never kept: below)
KEPT = [t for t in (p.read_text() for p in EXAMPLES) if "secret" not in t.lower()]


def test_most_examples_are_kept():
    assert len(KEPT) >= len(EXAMPLES) - 2 and len(KEPT) > 10


@pytest.mark.parametrize("text", TEXTS + KEPT)
def test_a_cached_tree_is_the_tree_a_fresh_parse_gives(text):
    fresh = _compose(text, "first.yaml", Ctx())
    assert read_yaml(text, "first.yaml", Ctx()) is not None  # parses, and keeps it
    assert parsed.load(text, "second.yaml") is not None
    again = read_yaml(text, "second.yaml", Ctx())
    assert plain(again) == plain(_compose(text, "second.yaml", Ctx()))
    assert repr(parsed._plain(again)) == repr(parsed._plain(fresh))


def test_a_cached_profile_resolves_and_warns_as_a_fresh_one(tmp_path):
    path = tmp_path / "web.yaml"
    path.write_text(f"name: web\nimage: {IMAGE}\nuser: 1000:50\nenv:\n  A: ${{GONE}}\n  B: $HOME\n")
    first = load_profile(path, environ={"HOME": "/h"})
    assert list((Path(os.environ["RCONTAINER_CACHE_DIR"]) / "parsed").iterdir())
    second = load_profile(path, environ={"HOME": "/elsewhere"})  # the environment is read anew
    assert second.data["env"]["B"] == "/elsewhere"
    assert {**second.data, "env": first.data["env"]} == first.data
    assert second.warnings == first.warnings and len(first.warnings) == 2


@pytest.mark.parametrize(
    "text",
    ["a: [1, 2\n", "a: 1\na: 2\n", "x: !custom 1\n", "a: &a [*a]\n", "- :\n  - [\n"],
)
def test_what_did_not_parse_cleanly_is_not_kept(text):
    ctx = Ctx()
    read_yaml(text, "bad.yaml", ctx)
    assert ctx.problems or ctx.warnings
    assert parsed.load(text, "bad.yaml") is None
    again = Ctx()
    read_yaml(text, "bad.yaml", again)
    assert [p.message for p in again.problems] == [p.message for p in ctx.problems]


# valid marshal data of the wrong shape: keys that are not a mapping
WRONG_KEYS = marshal.dumps(({"a": (1, 1, 1, None, None)}, 1, 1, "not keys", None))


@pytest.mark.parametrize("damage", [b"", b"\x00garbage", b"\xe9\x01\x00\x00\x00", WRONG_KEYS, None])
def test_a_damaged_entry_is_parsed_again(damage):
    text = TEXTS[1]
    read_yaml(text, "a.yaml", Ctx())
    entry = parsed.entry(text)
    if damage is None:  # a valid marshal of the wrong shape
        damage = marshal.dumps({"not": "a node"})
    entry.write_bytes(damage)
    tree = read_yaml(text, "a.yaml", Ctx())
    assert plain(tree) == plain(_compose(text, "a.yaml", Ctx()))


def test_entries_are_private_and_the_folder_stays_small(monkeypatch):
    monkeypatch.setattr(parsed, "KEEP", 6)
    for i in range(10):
        read_yaml(f"n: {i}\n", "a.yaml", Ctx())
    folder = parsed.entry("n: 0\n").parent
    names = os.listdir(folder)
    assert 3 <= len(names) <= 6
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert all(stat.S_IMODE((folder / n).stat().st_mode) == 0o600 for n in names)
    assert parsed.load("n: 9\n", "a.yaml") is not None  # the newest is kept


def test_a_changed_converter_or_text_is_another_entry(monkeypatch, tmp_path):
    text = TEXTS[0]
    first = parsed.entry(text)
    assert parsed.entry(text + " ") != first
    converter = tmp_path / "loader.py"
    converter.write_text("# another converter\n")
    monkeypatch.setattr(parsed, "CONVERTER", str(converter))
    monkeypatch.setattr(parsed, "_VERSIONS", [])
    assert parsed.entry(text) != first


def test_an_entry_someone_else_owns_is_not_read(monkeypatch):
    text = TEXTS[0]
    read_yaml(text, "a.yaml", Ctx())
    assert parsed.load(text, "a.yaml") is not None
    me = os.getuid()
    monkeypatch.setattr(parsed.os, "getuid", lambda: me + 1)  # the entry's owner is now another
    assert parsed.load(text, "a.yaml") is None


def test_a_profile_read_before_loads_without_pyyaml(tmp_path):
    path = tmp_path / "web.yaml"
    path.write_text(f"name: web\nimage: {IMAGE}\ncommand: [sleep, '1']\n")
    code = (
        "import json, sys\n"
        "from rcontainer.profile import load_profile\n"
        f"p = load_profile({str(path)!r})\n"
        "print(json.dumps({'yaml': 'yaml' in sys.modules, 'data': p.data}))\n"
    )
    runs = [
        json.loads(
            subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
        )
        for _ in range(2)
    ]
    assert runs[0]["yaml"] and not runs[1]["yaml"]
    assert runs[0]["data"] == runs[1]["data"]


@pytest.mark.parametrize(
    "text",
    [
        "env:\n  TOKEN: {value: s3cr3t-v4lue, secret: true}\n",
        "env:\n  TOKEN: {value: s3cr3t-v4lue, SECRET: yes}\n",
        'env:\n  TOKEN: {value: s3cr3t-v4lue, "\\x73ecret": true}\n',  # the key, spelled with escapes
        "x-keep: &k {value: s3cr3t-v4lue, secret: true}\nenv:\n  TOKEN: *k\n",
        "# my secret setup\nenv: {TOKEN: s3cr3t-v4lue}\n",
    ],
)
def test_a_profile_that_may_hold_a_secret_is_never_kept(text):
    assert read_yaml(text, "a.yaml", Ctx()) is not None
    assert parsed.load(text, "a.yaml") is None
    folder = Path(os.environ["RCONTAINER_CACHE_DIR"])
    assert not any(b"s3cr3t" in p.read_bytes() for p in folder.rglob("*") if p.is_file())
