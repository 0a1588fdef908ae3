"""Bad profiles: every problem reported at once, each with file, line, column, key path and message."""

from __future__ import annotations

from pathlib import Path

import pytest

from rcontainer.errors import BadInput, ExitStatus
from rcontainer.profile import Problem, ProfileError, load_profile
from tests.unit.profile_helpers import IMAGE, load, one_problem, problems, write


def where(p: Problem) -> tuple:
    return (Path(p.file).name, p.line, p.column, p.path)


def test_problem_str_and_error_message() -> None:
    a = Problem("p.yaml", 3, 5, "network.ports[1]", "expected a port")
    b = Problem("p.yaml", None, None, "", "empty profile")
    assert str(a) == "p.yaml:3:5: network.ports[1]: expected a port"
    assert str(b) == "p.yaml: empty profile"
    err = ProfileError([a, b])
    assert isinstance(err, BadInput)
    assert err.status == ExitStatus.BAD_INPUT == 2
    assert err.message == str(err) == f"{a}\n{b}"
    assert a.to_dict() == {
        "file": "p.yaml",
        "line": 3,
        "column": 5,
        "path": "network.ports[1]",
        "message": "expected a port",
    }


def test_wrong_type(tmp_path: Path) -> None:
    p = one_problem(tmp_path, f"image: {IMAGE}\nstop_timeout: abc\n")
    assert where(p) == ("p.yaml", 2, 15, "stop_timeout")
    assert p.message == "expected an integer from 0 to 86400, got 'abc'"


def test_wrong_type_mapping_for_list(tmp_path: Path) -> None:
    p = one_problem(tmp_path, f"image: {IMAGE}\ncap_add: {{a: 1}}\n")
    assert where(p) == ("p.yaml", 2, 10, "cap_add")
    assert "expected a list of" in p.message and p.message.endswith("got a mapping")


def test_unknown_key_did_you_mean(tmp_path: Path) -> None:
    p = one_problem(tmp_path, f"image: {IMAGE}\nnetwork:\n  prots: ['8080:80']\n")
    assert where(p) == ("p.yaml", 3, 3, "network.prots")
    assert p.message == "unknown key 'prots'; did you mean 'ports'?"


def test_unknown_key_without_close_match_lists_keys(tmp_path: Path) -> None:
    p = one_problem(tmp_path, f"image: {IMAGE}\nzzzzzz: 1\n")
    assert where(p) == ("p.yaml", 2, 1, "zzzzzz")
    assert p.message.startswith("unknown key 'zzzzzz'; expected one of: extends, name, image")


@pytest.mark.parametrize("port", ["99999:80", "abc", "8080", "1.2.3:80:80", "80:80/icmp", "0:80"])
def test_bad_port(tmp_path: Path, port: str) -> None:
    p = one_problem(tmp_path, f"image: {IMAGE}\nnetwork:\n  ports:\n    - '1:1'\n    - '{port}'\n")
    assert where(p) == ("p.yaml", 5, 7, "network.ports[1]")
    assert p.message == f"expected a port 1-65535 like '8080:80', '127.0.0.1:8080:80/udp', got '{port}'"


def test_bad_port_long_form(tmp_path: Path) -> None:
    found = problems(
        tmp_path, f"image: {IMAGE}\nnetwork:\n  ports:\n    - {{host_port: 70000, container_port: x}}\n"
    )
    assert [(where(p), p.message) for p in found] == [
        (("p.yaml", 4, 19, "network.ports[0].host_port"), "expected an integer from 1 to 65535, got 70000"),
        (
            ("p.yaml", 4, 42, "network.ports[0].container_port"),
            "expected an integer from 1 to 65535, got 'x'",
        ),
    ]


@pytest.mark.parametrize("size", ["lots", "1x", "-5", "0", "1.5.5g", "gib"])
def test_bad_memory_size(tmp_path: Path, size: str) -> None:
    p = one_problem(tmp_path, f"image: {IMAGE}\nresources:\n  memory: '{size}'\n")
    assert where(p) == ("p.yaml", 3, 11, "resources.memory")
    assert (
        p.message
        == f"expected a memory size like '512m', '1g' or '1GiB' (or a number of bytes), got '{size}'"
    )


def test_bad_duration(tmp_path: Path) -> None:
    p = one_problem(tmp_path, f"image: {IMAGE}\nhealthcheck: {{test: 'true', interval: soon}}\n")
    assert where(p) == ("p.yaml", 2, 39, "healthcheck.interval")
    assert p.message.startswith("expected a duration like '30s', '1m30s' or '500ms'")


def test_missing_variable(tmp_path: Path) -> None:
    p = one_problem(tmp_path, f"image: {IMAGE}\nenv:\n  TOKEN: ${{TOKEN:?set TOKEN first}}\n")
    assert where(p) == ("p.yaml", 3, 10, "env.TOKEN")
    assert p.message == "required variable TOKEN is not set: set TOKEN first"


def test_invalid_dollar_tells_how_to_escape(tmp_path: Path) -> None:
    p = one_problem(tmp_path, f"image: {IMAGE}\ncommand: ['sh', '-c', 'echo $(date)']\n")
    assert where(p) == ("p.yaml", 2, 23, "command[2]")
    assert "write '$$' for a literal '$'" in p.message


def test_extends_cycle(tmp_path: Path) -> None:
    write(tmp_path, "extends: b.yaml\nimage: x\n", "a.yaml")
    write(tmp_path, "extends: [a.yaml]\n", "b.yaml")
    with pytest.raises(ProfileError) as info:
        load_profile(tmp_path / "a.yaml", environ={})
    [p] = info.value.problems
    assert where(p) == ("b.yaml", 1, 11, "extends[0]")
    assert p.message == "extends cycle: a.yaml -> b.yaml -> a.yaml"


def test_extends_self(tmp_path: Path) -> None:
    p = one_problem(tmp_path, "extends: p.yaml\nimage: x\n")
    assert where(p) == ("p.yaml", 1, 10, "extends")
    assert p.message == "extends cycle: p.yaml -> p.yaml"


def test_extends_missing_file(tmp_path: Path) -> None:
    p = one_problem(tmp_path, "extends: nowhere.yaml\nimage: x\n")
    assert where(p) == ("p.yaml", 1, 10, "extends")
    assert p.message.startswith(f"cannot read base profile {tmp_path}/nowhere.yaml: No such file")


def test_unreadable_env_file(tmp_path: Path) -> None:
    p = one_problem(tmp_path, f"image: {IMAGE}\nenv_file: [missing.env]\n")
    assert where(p) == ("p.yaml", 2, 12, "env_file[0]")
    assert p.message == f"cannot read env_file {tmp_path}/missing.env: No such file or directory"


def test_bad_env_file_line(tmp_path: Path) -> None:
    (tmp_path / "a.env").write_text("OK=1\nthis is not an assignment\n")
    p = one_problem(tmp_path, f"image: {IMAGE}\nenv_file: a.env\n")
    assert (p.file, p.line, p.column) == (str(tmp_path / "a.env"), 2, 1)
    assert p.message.startswith("expected a line 'NAME=VALUE'")


def test_yaml_syntax_error(tmp_path: Path) -> None:
    p = one_problem(tmp_path, f"image: {IMAGE}\nenv:\n  A: [1, 2\n  B: 3\n")
    assert p.file == str(tmp_path / "p.yaml")
    assert p.path == ""
    assert p.line is not None and p.line >= 3 and p.column is not None
    assert p.message.startswith("not valid YAML: ")


def test_yaml_syntax_error_tab(tmp_path: Path) -> None:
    p = one_problem(tmp_path, "image: x\n\tcommand: sh\n")
    assert (p.line, p.column) == (2, 1)
    assert "not valid YAML" in p.message


def test_duplicate_keys(tmp_path: Path) -> None:
    found = problems(tmp_path, f"image: {IMAGE}\nenv:\n  A: 1\n  A: 2\nimage: other\n")
    assert [(where(p), p.message) for p in found] == [
        (("p.yaml", 4, 3, "env.A"), "duplicate key 'A' (first defined at line 3)"),
        (("p.yaml", 5, 1, "image"), "duplicate key 'image' (first defined at line 1)"),
    ]


@pytest.mark.parametrize(
    ("text", "found"), [("- a\n- b\n", "a list"), ("just text\n", "a single value (a string)")]
)
def test_non_mapping_top_level(tmp_path: Path, text: str, found: str) -> None:
    p = one_problem(tmp_path, text)
    assert where(p) == ("p.yaml", 1, 1, "")
    assert p.message == f"expected a mapping of settings like 'image: ...' at the top level, got {found}"


@pytest.mark.parametrize("text", ["", "\n# only a comment\n", "---\n"])
def test_empty_file(tmp_path: Path, text: str) -> None:
    p = one_problem(tmp_path, text)
    assert (p.line, p.column, p.path) == (None, None, "")
    assert p.message.startswith("empty profile")


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_bytes(b"image: \xff\xfe\n")
    with pytest.raises(ProfileError) as info:
        load_profile(path, environ={})
    assert info.value.problems[0].message == "cannot read: not UTF-8 text"


def test_env_file_must_be_a_small_regular_file(tmp_path: Path) -> None:
    import os

    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "big").write_bytes(b"A=" + b"x" * (1024 * 1024))
    found = problems(
        tmp_path, f"image: {IMAGE}\nenv_file: [fifo, big, /dev/zero]\nenv: {{S: {{file: fifo}}}}\n"
    )
    assert [(p.path, p.message.split(": ")[-1]) for p in found] == [
        ("env_file[0]", "not a regular file"),
        ("env_file[1]", f"larger than {1024 * 1024} bytes"),
        ("env_file[2]", "not a regular file"),
        ("env.S.file", "not a regular file"),
    ]


def test_image_or_build_required(tmp_path: Path) -> None:
    p = one_problem(tmp_path, "command: sh\n")
    assert where(p) == ("p.yaml", 1, 1, "")
    assert p.message.startswith("expected 'image' (an image reference) or 'build'")
    p = one_problem(tmp_path, f"image: {IMAGE}\nbuild: .\n")
    assert where(p) == ("p.yaml", 2, 8, "build")
    assert p.message == "expected only one of 'image' or 'build', found both"


def test_bad_name_and_bad_file_name(tmp_path: Path) -> None:
    p = one_problem(tmp_path, f"name: Web\nimage: {IMAGE}\n")
    assert where(p) == ("p.yaml", 1, 7, "name")
    p = one_problem(tmp_path, f"image: {IMAGE}\n", name="My Profile.yaml")
    assert where(p) == ("My Profile.yaml", 1, 1, "name")
    assert "add a 'name:' key" in p.message
    p = one_problem(tmp_path, f"name: {'a' * 64}\nimage: {IMAGE}\n")
    assert "at most 63 characters" in p.message


def test_unknown_runtime_did_you_mean(tmp_path: Path) -> None:
    p = one_problem(tmp_path, f"image: {IMAGE}\nruntime: gvisr\n")
    assert where(p) == ("p.yaml", 2, 10, "runtime")
    assert p.message == "unknown runtime class 'gvisr'; did you mean 'gvisor'?"


def test_bad_runtime_name_pattern(tmp_path: Path) -> None:
    p = one_problem(tmp_path, f"image: {IMAGE}\nruntime: Not_Valid\n")
    assert where(p) == ("p.yaml", 2, 10, "runtime")
    assert p.message.startswith("expected a runtime class name")


def test_bwrap_refuses_what_it_cannot_do(tmp_path: Path) -> None:
    # restart: always is not among them: rcontainer's monitor restarts bwrap containers
    found = problems(
        tmp_path,
        f"""\
image: {IMAGE}
runtime: bwrap
network:
  mode: private
  ports: ["8080:80"]
resources: {{memory: 1g, cpus: 1, pids: 10}}
volumes: ["data:/data", "./src:/src", {{type: tmpfs, target: /tmp}}]
healthcheck: {{test: "true"}}
restart: always
userns: keep-id
tty: true
""",
    )
    assert [(where(p), p.message.split(" (runtime")[0]) for p in found] == [
        (("p.yaml", 4, 9, "network.mode"), "bwrap runs with network none or host, not 'private'"),
        (
            ("p.yaml", 5, 10, "network.ports"),
            "bwrap runs with network none or host; published ports need a Podman runtime class",
        ),
        (
            ("p.yaml", 6, 21, "resources.memory"),
            "bwrap cannot enforce resource limits without delegated cgroups",
        ),
        (
            ("p.yaml", 6, 31, "resources.cpus"),
            "bwrap cannot enforce resource limits without delegated cgroups",
        ),
        (
            ("p.yaml", 6, 40, "resources.pids"),
            "bwrap cannot enforce resource limits without delegated cgroups",
        ),
        (("p.yaml", 7, 11, "volumes[0]"), "bwrap cannot mount named volumes (bind and tmpfs mounts work)"),
        (
            ("p.yaml", 8, 14, "healthcheck"),
            "bwrap runs no healthchecks; use a Podman runtime class for healthcheck",
        ),
        (
            ("p.yaml", 10, 9, "userns"),
            "bwrap maps the user to root in its own user namespace; use a Podman runtime class for userns",
        ),
        (("p.yaml", 11, 6, "tty"), "bwrap allocates no terminal; use a Podman runtime class for tty"),
    ]


def test_bwrap_default_network_is_pointed_at(tmp_path: Path) -> None:
    p = one_problem(tmp_path, f"image: {IMAGE}\nruntime: bwrap\n")
    assert where(p) == ("p.yaml", 2, 10, "network.mode")
    assert "set network: {mode: none}" in p.message
    assert (
        load(tmp_path, f"image: {IMAGE}\nruntime: bwrap\nnetwork: host\n").data["network"]["mode"] == "host"
    )


def test_every_problem_at_once(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        f"""\
image: {IMAGE}
stop_timeout: abc
netwrk: {{}}
network:
  ports: ["nope"]
""",
    )
    assert [where(p) for p in found] == [
        ("p.yaml", 2, 15, "stop_timeout"),
        ("p.yaml", 3, 1, "netwrk"),
        ("p.yaml", 5, 11, "network.ports[0]"),
    ]
    assert "did you mean 'network'?" in found[1].message


def test_many_problems_in_one_file_all_reported(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        """\
name: Bad Name
build: .
image: x
command: "sh -c 'unterminated"
restart: sometimes
stop_signal: SIGFOO
cap_add: [NET_ADMN]
ulimits: {nofil: 5, nproc: {soft: 5, hard: 2}}
healthcheck: {test: [FOO, x]}
volumes: ["relative", "./a:/x", "./b:/x", {type: tmpfs, source: x, target: /t}]
userns: keepid
workdir: src
tty: maybe
""",
    )
    paths = [p.path for p in found]
    assert paths == [
        "name",
        "build",
        "command",
        "restart",
        "stop_signal",
        "cap_add[0]",
        "ulimits.nofil",
        "ulimits.nproc",
        "healthcheck.test",
        "volumes[0]",
        "volumes[2]",
        "volumes[3].source",
        "userns",
        "workdir",
        "tty",
    ]
    text = "\n".join(str(p) for p in found)
    assert "did you mean 'NET_ADMIN'?" in text
    assert "did you mean 'nofile'?" in text
    assert "did you mean 'keep-id'?" in text
    assert "target '/x' is already mounted by volumes[1]" in text


def test_problems_in_base_file_point_into_it(tmp_path: Path) -> None:
    write(tmp_path, "image: x\nstop_timeout: soon\n", "base.yaml")
    found = problems(tmp_path, "extends: base.yaml\nstop_signal: NOPE\n")
    # grouped by file (the profile named first), in line order within each file
    assert [where(p) for p in found] == [
        ("p.yaml", 2, 14, "stop_signal"),
        ("base.yaml", 2, 15, "stop_timeout"),
    ]


def test_recursive_alias_and_custom_tag(tmp_path: Path) -> None:
    found = problems(tmp_path, f"image: {IMAGE}\nlabels: !custom {{a: 1}}\n")
    assert found[0].message == "unsupported YAML tag '!custom'"
    found = problems(tmp_path, f"image: {IMAGE}\nx-a: &a [*a]\ncommand: &c [sh, *c]\n")
    assert any(p.message.startswith("recursive YAML alias") for p in found)


def test_billion_laughs_is_refused(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 8):
        prev = f"*a{i - 1}"
        lines.append(f"a{i}: &a{i} [{', '.join([prev] * 10)}]")
    found = problems(tmp_path, "\n".join(lines) + "\n")
    assert found[0].message.startswith("too large")


def test_secrets_never_appear_in_errors(tmp_path: Path) -> None:
    (tmp_path / "pw").write_text("file-secret-1\n")
    found = problems(
        tmp_path,
        f"""\
image: {IMAGE}
env:
  A: {{value: inline-secret-2, secret: maybe}}
  B: {{file: pw, secret: true, value: inline-secret-3}}
  C: {{value: [inline-secret-4], secret: true}}
  D: {{value: "inline-secret-5 $(x)", secret: true}}
  E: "${{HIDDEN:?gone}}"
  F: ["inline-secret-6"]
stop_timeout: x
""",
        HIDDEN="",
    )
    text = "\n".join(str(p) for p in found) + str(ProfileError(found))
    assert len(found) == 7, text
    for n in range(1, 7):
        assert f"secret-{n}" not in text


def test_secret_file_unreadable(tmp_path: Path) -> None:
    p = one_problem(tmp_path, f"image: {IMAGE}\nenv:\n  PW: {{file: nope.txt}}\n")
    assert where(p) == ("p.yaml", 3, 14, "env.PW.file")
    assert p.message.startswith("cannot read value file")


def test_error_exit_status_through_main(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from rcontainer.cli import main

    path = write(tmp_path, "image: x\nstop_timeout: abc\ntty: maybe\n")
    with pytest.raises(SystemExit) as info:
        main(["validate", str(path)])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert f"{path}:2:15: stop_timeout: expected an integer from 0 to 86400, got 'abc'" in err
    assert f"{path}:3:6: tty: expected true or false, got 'maybe'" in err
    assert "Traceback" not in err
