"""rcontainer import's report: a table at the end, the same in --json, and --check writing nothing."""

from __future__ import annotations

import json
from pathlib import Path

from tests.unit.compose_helpers import compose

LOSSY = """\
services:
  web:
    image: x
    container_name: Web
    devices: ["/dev/fuse"]
"""
CLEAN = "services:\n  web:\n    image: x\n    depends_on: [db]\n  db:\n    image: x\n"


def test_the_report_is_a_table_of_service_key_and_what_at_the_end(run_main, tmp_path: Path) -> None:
    path = compose(tmp_path, LOSSY)
    result = run_main("import", str(path), "-o", str(tmp_path / "out"))
    assert result.code == 0, result.err
    assert result.out.splitlines() == [str(tmp_path / "out" / "web.yaml")]
    assert result.err.splitlines() == [
        "SERVICE   KEY              WHAT HAPPENED",
        "web       container_name   'Web' → profile name 'web'",
        "web       devices          dropped: no device mounts",
    ]


def test_the_json_output_carries_the_same_report(run_main, tmp_path: Path) -> None:
    path = compose(tmp_path, LOSSY)
    result = run_main("import", str(path), "-o", str(tmp_path / "out"), "--json")
    assert result.code == 0 and result.err == ""
    assert json.loads(result.out) == {
        "profiles": [str(tmp_path / "out" / "web.yaml")],
        "report": [
            {"service": "web", "key": "container_name", "what": "'Web' → profile name 'web'"},
            {"service": "web", "key": "devices", "what": "dropped: no device mounts"},
        ],
    }


def test_check_writes_nothing_and_exits_8_when_something_would_be_lost(run_main, tmp_path: Path) -> None:
    path = compose(tmp_path, LOSSY)
    out = tmp_path / "not" / "made"
    result = run_main("import", str(path), "-o", str(out), "--check")
    assert result.code == 8
    assert result.out == ""
    assert "web       devices          dropped: no device mounts" in result.err
    assert result.err.splitlines()[-1] == f"{path}: 2 keys would be lost or approximated (1 profile)"
    assert not (tmp_path / "not").exists(), "the folders made to validate in are removed"


def test_check_exits_0_when_everything_carries_over(run_main, tmp_path: Path) -> None:
    path = compose(tmp_path, CLEAN)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "web.yaml").write_text("# mine\n")
    result = run_main("import", str(path), "-o", str(tmp_path / "out"), "--check", "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out) == {
        "compatible": True,
        "would_write": [str(tmp_path / "out" / "web.yaml"), str(tmp_path / "out" / "db.yaml")],
        "report": [],
    }
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["web.yaml"]  # untouched, no leftovers
    assert (tmp_path / "out" / "web.yaml").read_text() == "# mine\n"


def test_check_of_a_refused_file_exits_2_with_the_reason(run_main, tmp_path: Path) -> None:
    path = compose(tmp_path, "services:\n  a:\n    image: x\n    depends_on: [a]\n")
    result = run_main("import", str(path), "--check", "-o", str(tmp_path / "out"))
    assert result.code == 2
    assert "dependency cycle: a -> a" in result.err
    assert not (tmp_path / "out").exists()


def test_a_folder_holding_other_profiles_is_warned_about(run_main, tmp_path: Path) -> None:
    path = compose(tmp_path, CLEAN)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "other.yaml").write_text("image: x\n")
    (tmp_path / "out" / "_base.yaml").write_text("image: x\n")  # not a profile of the project
    result = run_main("import", str(path), "-o", str(tmp_path / "out"))
    assert result.code == 0, result.err
    assert (
        f"rcontainer: warning: {tmp_path / 'out'}: other profiles are there too (other.yaml): a folder is one"
        " project, which up FOLDER brings up whole; import into a folder of its own"
    ) in result.err


def test_json_carries_the_warnings_and_stderr_stays_quiet(run_main, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("NOPE", raising=False)
    path = compose(tmp_path, "services:\n  web:\n    image: x\n    environment:\n      A: $NOPE\n")
    result = run_main("import", str(path), "-o", str(tmp_path / "out"), "--json")
    assert result.code == 0 and result.err == ""
    [warning] = json.loads(result.out)["warnings"]
    assert warning.startswith(f'{path}:5: services.web.environment.A: the "NOPE" variable is not set')
