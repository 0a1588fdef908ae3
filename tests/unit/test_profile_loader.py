"""extends, env_file, secrets, and finding profiles by name."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rcontainer import paths
from rcontainer.errors import NotFound
from rcontainer.profile import MASK, find_profile, load_profile
from tests.unit.profile_helpers import IMAGE, load, write

# --- extends -----------------------------------------------------------------------------------


def test_extends_deep_merge(tmp_path: Path) -> None:
    write(
        tmp_path,
        f"""\
        name: base
        image: {IMAGE}
        command: [sleep, infinity]
        env: {{TZ: UTC, LEVEL: info}}
        network: {{mode: none, dns: [1.1.1.1]}}
        labels: {{a: "1"}}
        stop_timeout: 2
        """,
        "base.yaml",
    )
    p = load(
        tmp_path,
        """\
        extends: base.yaml
        command: [sh]
        env: {LEVEL: debug}
        network: {dns: [9.9.9.9]}
        labels: {b: "2"}
        """,
        "child.yaml",
    )
    assert p.name == "child"  # the base's name never wins
    assert p.data["image"] == IMAGE
    assert p.data["command"] == ["sh"]
    assert p.data["env"] == {"TZ": "UTC", "LEVEL": "debug"}
    assert p.data["network"]["mode"] == "none"
    assert p.data["network"]["dns"] == ["9.9.9.9"]  # lists are replaced
    assert p.data["labels"] == {"a": "1", "b": "2"}
    assert p.data["stop_timeout"] == 2


def test_extends_list_chain_and_subfolder(tmp_path: Path) -> None:
    write(tmp_path, f"image: {IMAGE}\nenv: {{A: a, B: a}}\n", "shared/one.yaml")
    write(
        tmp_path, "extends: one.yaml\nenv: {B: two, C: two}\nvolumes: ['./data:/data']\n", "shared/two.yaml"
    )
    write(tmp_path, "env: {C: three}\n", "three.yaml")
    p = load(tmp_path, "extends: [shared/two.yaml, three.yaml]\nname: app\n")
    assert p.name == "app"
    assert p.data["env"] == {"A": "a", "B": "two", "C": "three"}
    # relative paths resolve against the folder of the file that wrote them
    assert p.data["volumes"][0]["source"] == str((tmp_path / "shared" / "data").resolve())


def test_extends_diamond_is_not_a_cycle(tmp_path: Path) -> None:
    write(tmp_path, f"image: {IMAGE}\n", "d.yaml")
    write(tmp_path, "extends: d.yaml\n", "b.yaml")
    write(tmp_path, "extends: d.yaml\n", "c.yaml")
    assert load(tmp_path, "extends: [b.yaml, c.yaml]\n").data["image"] == IMAGE


def test_extends_three_file_cycle(tmp_path: Path) -> None:
    write(tmp_path, "extends: b.yaml\nimage: x\n", "a.yaml")
    write(tmp_path, "extends: c.yaml\n", "b.yaml")
    write(tmp_path, "extends: a.yaml\n", "c.yaml")
    from rcontainer.profile import ProfileError

    with pytest.raises(ProfileError) as info:
        load_profile(tmp_path / "a.yaml", environ={})
    [p] = info.value.problems
    assert p.message == "extends cycle: a.yaml -> b.yaml -> c.yaml -> a.yaml"
    assert Path(p.file).name == "c.yaml"


def test_extends_is_interpolated(tmp_path: Path) -> None:
    write(tmp_path, f"image: {IMAGE}\nenv: {{FROM: prod}}\n", "prod.yaml")
    assert load(tmp_path, "extends: ${STAGE}.yaml\n", STAGE="prod").data["env"] == {"FROM": "prod"}


# --- env_file ----------------------------------------------------------------------------------


def test_env_file_parsing_and_precedence(tmp_path: Path) -> None:
    (tmp_path / "a.env").write_text(
        "# comment\n\nA=from-a\nexport B=from-a\nC='single quoted'\nD=\"double # not a comment\"\n"
        "E=unquoted # comment\nF=\nG=x=y\nH=$NOT_INTERPOLATED\n"
    )
    (tmp_path / "b.env").write_text("B=from-b\nI=from-b\n")
    p = load(tmp_path, f"image: {IMAGE}\nenv_file: [a.env, b.env]\nenv: {{I: from-env}}\n")
    assert p.data["env"] == {
        "A": "from-a",
        "B": "from-b",  # later files win
        "C": "single quoted",
        "D": "double # not a comment",
        "E": "unquoted",
        "F": "",
        "G": "x=y",
        "H": "$NOT_INTERPOLATED",
        "I": "from-env",  # env wins over env_file
    }
    assert "env_file" not in p.data


def test_env_file_single_string(tmp_path: Path) -> None:
    (tmp_path / "x.env").write_text("X=1\n")
    assert load(tmp_path, f"image: {IMAGE}\nenv_file: x.env\n").data["env"] == {"X": "1"}


# --- secrets -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "separator", ["\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029", "\r"]
)
def test_env_file_lines_end_at_newline_only(tmp_path: Path, separator: str) -> None:
    # Issue 14: str.splitlines also broke lines at these, so "A=x<sep>B=y" defined B, which
    # Podman and Compose (lines end at \n) never do.
    (tmp_path / "a.env").write_bytes(f"A=x{separator}B=y\nC=1\r\nD=2\n".encode())
    env = load(tmp_path, f"image: {IMAGE}\nenv_file: a.env\n").data["env"]
    assert "B" not in env
    assert env["C"] == "1" and env["D"] == "2"  # \r\n still ends a line
    assert env["A"].startswith("x") and env["A"].endswith("B=y")


def test_secrets_are_masked_but_hashed(tmp_path: Path) -> None:
    (tmp_path / "pw.txt").write_text("from-file\n")
    p = load(
        tmp_path,
        f"""\
        image: {IMAGE}
        env:
          PLAIN: visible
          INLINE: {{value: inline-secret, secret: true}}
          FILE: {{file: pw.txt}}
          NOTSECRET: {{value: shown, secret: false}}
          FROMENV: {{value: "${{TOKEN}}", secret: true}}
        """,
        TOKEN="env-secret",
    )
    assert p.secret_env == frozenset({"INLINE", "FILE", "FROMENV"})
    assert p.data["env"] == {
        "PLAIN": "visible",
        "INLINE": "inline-secret",
        "FILE": "from-file",
        "NOTSECRET": "shown",
        "FROMENV": "env-secret",
    }
    masked = p.to_dict()
    assert masked["env"] == {
        "PLAIN": "visible",
        "INLINE": MASK,
        "FILE": MASK,
        "NOTSECRET": "shown",
        "FROMENV": MASK,
    }
    dumped = json.dumps(masked)
    for secret in ("inline-secret", "from-file", "env-secret"):
        assert secret not in dumped
    assert p.to_dict(mask_secrets=False)["env"]["FILE"] == "from-file"
    other = load(tmp_path, p.path.read_text(), TOKEN="changed")
    assert other.config_hash() != p.config_hash()


def test_child_can_override_a_secret_with_a_plain_value(tmp_path: Path) -> None:
    write(tmp_path, f"image: {IMAGE}\nenv: {{K: {{value: s, secret: true}}}}\n", "base.yaml")
    p = load(tmp_path, "extends: base.yaml\nenv: {K: plain}\n")
    assert p.secret_env == frozenset()


# --- find_profile ------------------------------------------------------------------------------


def test_find_profile_by_name_and_path(tmp_path: Path) -> None:
    folder = paths.profiles_dir()
    folder.mkdir(parents=True)
    (folder / "web.yaml").write_text(f"image: {IMAGE}\n")
    (folder / "db.yml").write_text(f"image: {IMAGE}\n")
    assert find_profile("web") == folder / "web.yaml"
    assert find_profile("db") == folder / "db.yml"
    assert load_profile("web").path == folder / "web.yaml"
    path = write(tmp_path, f"image: {IMAGE}\n", "local.yaml")
    assert find_profile(str(path)) == path
    assert find_profile(path) == path
    with pytest.raises(NotFound) as info:
        find_profile("wbe")
    assert info.value.hint == "did you mean 'web'?"
    with pytest.raises(NotFound):
        find_profile("./missing.yaml")
    with pytest.raises(NotFound):
        find_profile(str(tmp_path))


def test_find_profile_without_profiles_dir() -> None:
    with pytest.raises(NotFound) as info:
        find_profile("nothing")
    assert "put profiles in" in (info.value.hint or "")


def test_relative_path_found_from_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, f"image: {IMAGE}\nvolumes: ['./d:/d']\n", "rel.yaml")
    monkeypatch.chdir(tmp_path)
    p = load_profile("rel.yaml", environ={})
    assert p.path == tmp_path / "rel.yaml"
    assert p.path.is_absolute()
    assert p.data["volumes"][0]["source"] == str((tmp_path / "d").resolve())


def test_load_is_fast(tmp_path: Path) -> None:
    import time

    repo = Path(__file__).resolve().parents[2]
    load_profile(repo / "profiles" / "web.yaml", environ={})  # imports done
    start = time.perf_counter()
    for _ in range(10):
        load_profile(repo / "profiles" / "web.yaml", environ={})
        load_profile(repo / "profiles" / "app.yaml", environ={})
    assert (time.perf_counter() - start) / 20 < 0.020
