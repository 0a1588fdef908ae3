"""The shipped example profiles, the shipped JSON Schema, and the validate/render commands."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from rcontainer.cli import cli, main
from rcontainer.profile import load_profile
from rcontainer.profile.schema import json_schema, json_schema_text
from tests.unit.profile_helpers import IMAGE, write

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((REPO / "profiles").glob("*.yaml"))
SCHEMA_FILE = REPO / "profiles" / "profile.schema.json"


def test_examples_exist() -> None:
    names = {p.stem for p in EXAMPLES}
    assert {"hello", "web", "devshell", "base", "app", "built"} <= names
    assert (REPO / "profiles" / "built" / "Containerfile").is_file()
    assert {f"runtime-{c}" for c in ("runc", "crun", "gvisor", "kata", "bwrap")} <= names


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_validates(path: Path) -> None:
    assert path.read_text().startswith("# yaml-language-server: $schema=./profile.schema.json\n")
    profile = load_profile(path, environ={})
    if profile.data.get("build"):  # built.yaml: its Containerfile starts from the same image
        containerfile = Path(profile.data["build"]["context"]) / profile.data["build"]["containerfile"]
        assert f"FROM {IMAGE}\n" in containerfile.read_text()
    else:
        assert profile.data["image"] == IMAGE
    if path.stem.startswith("runtime-"):
        assert profile.runtime == path.stem.removeprefix("runtime-")


def test_hello_keeps_shell_dollars() -> None:
    p = load_profile(REPO / "profiles" / "hello.yaml", environ={})
    assert p.data["command"][:2] == ["sh", "-c"]
    assert "$((i+1))" in p.data["command"][2] and "$(hostname)" in p.data["command"][2]
    assert p.data["env"] == {"GREETING": "hello"}
    assert p.data["network"]["mode"] == "none"
    assert p.data["stop_timeout"] == 2


def test_app_extends_base_and_masks_its_token() -> None:
    p = load_profile(REPO / "profiles" / "app.yaml", environ={"APP_TOKEN": "t0ken"})
    assert p.name == "app"
    assert p.data["env"]["TZ"] == "UTC"
    assert p.data["env"]["LOG_LEVEL"] == "debug"
    assert p.secret_env == frozenset({"APP_TOKEN"})
    assert p.to_dict()["env"]["APP_TOKEN"] == "******"


def test_schema_file_is_current() -> None:
    assert SCHEMA_FILE.read_text() == json_schema_text(), (
        "profiles/profile.schema.json is stale: python -m rcontainer.profile.schema > profiles/profile.schema.json"
    )


def test_schema_module_prints_the_schema() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "rcontainer.profile.schema"], capture_output=True, text=True, check=True
    )
    assert out.stdout == json_schema_text()
    assert "RuntimeWarning" not in out.stderr


def test_schema_shape() -> None:
    schema = json_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    props = schema["properties"]
    assert schema["additionalProperties"] is False
    assert "^x-" in schema["patternProperties"]
    for key in (
        "name",
        "image",
        "network",
        "volumes",
        "env",
        "runtime",
        "healthcheck",
        "extends",
        "env_file",
    ):
        assert props[key].get("description"), key
    assert props["network"]["anyOf"][1]["properties"]["ports"]["description"]
    assert props["no_new_privileges"]["default"] is True


def test_examples_match_the_json_schema_where_a_validator_is_installed() -> None:
    import jsonschema

    validator = jsonschema.Draft202012Validator(json_schema())
    for path in EXAMPLES:
        validator.validate(yaml.safe_load(path.read_text()))


# --- CLI ---------------------------------------------------------------------------------------


def test_cli_validate_ok() -> None:
    result = CliRunner().invoke(
        cli, ["validate", str(REPO / "profiles" / "hello.yaml"), str(REPO / "profiles" / "web.yaml")]
    )
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"{REPO}/profiles/hello.yaml: ok (hello, runtime default)",
        f"{REPO}/profiles/web.yaml: ok (web, runtime default)",
    ]


def test_cli_validate_by_name(tmp_path: Path) -> None:
    from rcontainer import paths

    write(paths.profiles_dir(), f"image: {IMAGE}\nruntime: crun\n", "mine.yaml")
    result = CliRunner().invoke(cli, ["validate", "mine"])
    assert result.exit_code == 0, result.output
    assert result.output == f"{paths.profiles_dir()}/mine.yaml: ok (mine, runtime crun)\n"


def test_cli_validate_bad_profile_exit_2_no_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = write(tmp_path, f"image: {IMAGE}\n", "good.yaml")
    bad = write(tmp_path, f"image: {IMAGE}\nnetwork:\n  prots: []\nstop_timeout: x\n", "bad.yaml")
    with pytest.raises(SystemExit) as info:
        main(["validate", str(good), str(bad)])
    assert info.value.code == 2
    out, err = capsys.readouterr()
    assert out == f"{good}: ok (good, runtime default)\n"
    assert err == (
        f"rcontainer: error: {bad}:3:3: network.prots: unknown key 'prots'; did you mean 'ports'?\n"
        f"{bad}:4:15: stop_timeout: expected an integer from 0 to 86400, got 'x'\n"
    )


def test_cli_validate_bad_profile_via_clirunner(tmp_path: Path) -> None:
    bad = write(tmp_path, "image: x\ntty: maybe\n", "bad.yaml")
    result = CliRunner().invoke(cli, ["validate", str(bad)])
    from rcontainer.profile import ProfileError

    assert isinstance(result.exception, ProfileError)
    assert result.exception.status == 2
    assert "tty: expected true or false, got 'maybe'" in str(result.exception)


def test_cli_validate_missing_profile_exit_3(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["validate", "no-such-profile"])
    assert info.value.code == 3
    assert "no profile named 'no-such-profile'" in capsys.readouterr().err


def test_cli_validate_json(tmp_path: Path) -> None:
    good = write(tmp_path, f"image: {IMAGE}\n", "good.yaml")
    bad = write(tmp_path, "image: x\nstop_timeout: x\n", "bad.yaml")
    result = CliRunner().invoke(cli, ["validate", "--json", str(good), str(bad)])
    assert result.exit_code == 2
    data = json.loads(result.output)
    assert data[0] == {"file": str(good), "ok": True, "name": "good", "runtime": "default", "problems": []}
    assert data[1] == {
        "file": str(bad),
        "ok": False,
        "problems": [
            {
                "file": str(bad),
                "line": 2,
                "column": 15,
                "path": "stop_timeout",
                "message": "expected an integer from 0 to 86400, got 'x'",
            }
        ],
    }
    result = CliRunner().invoke(cli, ["validate", "--json", str(good)])
    assert result.exit_code == 0


def test_cli_render_yaml_and_json() -> None:
    path = str(REPO / "profiles" / "app.yaml")
    result = CliRunner().invoke(cli, ["render", path], env={"APP_TOKEN": "sup3r"})
    assert result.exit_code == 0, result.output
    assert "sup3r" not in result.output
    data = yaml.safe_load(result.output)
    assert data["name"] == "app"
    assert data["env"]["APP_TOKEN"] == "******"
    assert list(data)[:3] == ["name", "image", "build"]
    result = CliRunner().invoke(cli, ["render", "--json", path], env={"APP_TOKEN": "sup3r"})
    assert result.exit_code == 0
    assert json.loads(result.output) == data
    assert "sup3r" not in result.output


def test_cli_render_bad_profile(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = write(tmp_path, "image: x\ntty: maybe\n", "bad.yaml")
    with pytest.raises(SystemExit) as info:
        main(["render", str(bad)])
    assert info.value.code == 2
    assert f"{bad}:2:6: tty: expected true or false" in capsys.readouterr().err


def test_completion_of_profile_names(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from rcontainer import paths
    from rcontainer.cli.completers import profile_names

    folder = paths.profiles_dir()
    write(folder, "image: x\n", "web.yaml")
    write(folder, "image: x\n", "worker.yml")
    write(folder, "image: x\n", "db.yaml")
    assert [(c.value, c.type) for c in profile_names(None, None, "w")] == [
        ("web", "plain"),
        ("worker", "plain"),
    ]
    # a path, or a word no profile name matches: profile files only, sorted, and a lone folder
    # is opened (the schema beside the examples is not a profile)
    work = tmp_path / "work"
    (work / "profiles" / "more").mkdir(parents=True)
    for name in ("web.yaml", "app.yml", "profile.schema.json"):
        (work / "profiles" / name).write_text("image: x\n")
    monkeypatch.chdir(work)
    expected = ["./profiles/app.yml", "./profiles/more/", "./profiles/web.yaml"]
    assert [(c.value, c.type) for c in profile_names(None, None, "./pro")] == [(v, "plain") for v in expected]
    assert [c.value for c in profile_names(None, None, "zzz")] == []
    assert [c.value for c in profile_names(None, None, "pro")] == [v[2:] for v in expected]


def test_commands_module_imports_nothing_heavy() -> None:
    code = (
        "import sys, rcontainer.cli.profiles as m; "
        "heavy = [n for n in ('yaml', 'rcontainer.profile', 'podman') if n in sys.modules]; "
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_json_schema_rejects_what_the_loader_rejects() -> None:
    import jsonschema

    validator = jsonschema.Draft202012Validator(json_schema())
    for bad in (
        {"image": "x", "prots": 1},
        {"image": "x", "stop_timeout": "abc"},
        {"image": "x", "network": {"ports": ["99:1:2:3"]}},
        {"image": "x", "network": {"mode": "bridge"}},
        {"image": "x", "cap_add": "NET_ADMIN"},
    ):
        assert list(validator.iter_errors(bad)), bad
    ok = {"image": "x", "x-anchors": {"a": 1}, "stop_timeout": "${T:-5}", "restart": False, "network": "none"}
    assert not list(validator.iter_errors(ok))
