"""Attacks on profile validation (issue 14, items 3, 4, 6 and 8), each refused at validate time.

Every test here reproduces an attack that validated (or crashed with a traceback) before: a
trailing newline slipping past a pattern, a control character that would add lines to a
generated unit file, a NUL byte in an environment value, a secret quoted in an error
message, a number too large for Podman or for Python. Each must now be a located problem
(exit status 2), never a traceback.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from rcontainer.profile import Problem, ProfileError, load_profile, schema
from tests.unit.profile_helpers import IMAGE, load, one_problem, problems, write


def q(text: str) -> str:
    """``text`` as a YAML double-quoted scalar (JSON escapes are YAML escapes)."""
    return json.dumps(text)


def run_validate(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    from rcontainer.cli import main

    with pytest.raises(SystemExit) as info:
        main(["validate", *argv])
    out, err = capsys.readouterr()
    code = info.value.code if isinstance(info.value.code, int) else 0
    return code, out + err


# ---------------------------------------------------------------------------------------------
# Item 4: every pattern matches the whole string ($ alone matches before a final newline)

TRAILING_NEWLINE = {
    "name": ('name: "web\\n"\nimage: {IMAGE}\n', "name"),
    "user": ('image: {IMAGE}\nuser: "0\\n"\n', "user"),
    "hostname": ('image: {IMAGE}\nnetwork: {{hostname: "web\\n"}}\n', "network.hostname"),
    "runtime": ('image: {IMAGE}\nruntime: "crun\\n"\n', "runtime"),
    "label key": ('image: {IMAGE}\nlabels: {{"a\\n": x}}\n', 'labels["a\\n"]'),
    "annotation key": ('image: {IMAGE}\nannotations: {{"a\\n": x}}\n', 'annotations["a\\n"]'),
    "env name": ('image: {IMAGE}\nenv: {{"A\\n": x}}\n', 'env["A\\n"]'),
    "env name, list form": ('image: {IMAGE}\nenv: ["A\\n=x"]\n', 'env["A\\n"]'),
    "add_hosts name": (
        'image: {IMAGE}\nnetwork: {{add_hosts: {{"db\\n": 10.0.0.5}}}}\n',
        'network.add_hosts["db\\n"]',
    ),
    "build arg name": ('build: {{context: ., args: {{"V\\n": "1"}}}}\n', 'build.args["V\\n"]'),
    "uidmap": ('image: {IMAGE}\nuserns: {{uidmap: ["0:1:1\\n"]}}\n', "userns.uidmap[0]"),
    "volume name": ('image: {IMAGE}\nvolumes: ["data\\n:/data"]\n', "volumes[0]"),
    "named volume source": (
        'image: {IMAGE}\nvolumes: [{{type: volume, source: "data\\n", target: /data}}]\n',
        "volumes[0].source",
    ),
    "restart": ('image: {IMAGE}\nrestart: "always\\n"\n', "restart"),
    "stop_signal": ('image: {IMAGE}\nstop_signal: "TERM\\n"\n', "stop_signal"),
    "stop_timeout": ('image: {IMAGE}\nstop_timeout: "10\\n"\n', "stop_timeout"),
    "dns": ('image: {IMAGE}\nnetwork: {{dns: ["1.1.1.1\\n"]}}\n', "network.dns[0]"),
}


@pytest.mark.parametrize("field", list(TRAILING_NEWLINE))
def test_a_trailing_newline_no_longer_passes_a_pattern(tmp_path: Path, field: str) -> None:
    text, where = TRAILING_NEWLINE[field]
    p = one_problem(tmp_path, text.format(IMAGE=IMAGE))
    assert p.path == where
    assert "a newline" in p.message


def test_a_file_name_ending_in_a_newline_is_not_a_container_name(tmp_path: Path) -> None:
    found = problems(tmp_path, f"image: {IMAGE}\n", name="web\n.yaml")
    assert len(found) == 1
    assert "\n" not in str(found[0])
    with pytest.raises(ProfileError):  # nor with a name of its own: the path reaches unit files
        load(tmp_path, f"name: web\nimage: {IMAGE}\n", name="web\n.yaml")


# ---------------------------------------------------------------------------------------------
# Item 3: values that can never span lines refuse control characters

CONTROL_CHARACTERS = ["\n", "\r", "\t", "\x00", "\x1b", "\x7f", "\x85", "\u2028"]

# field -> (profile with {v} where the bad value goes, the key path of the problem)
SINGLE_LINE = {
    "name": ("name: {v}\nimage: {IMAGE}\n", "name"),
    "image": ("image: {v}\n", "image"),
    "hostname": ("image: {IMAGE}\nnetwork: {{hostname: {v}}}\n", "network.hostname"),
    "user": ("image: {IMAGE}\nuser: {v}\n", "user"),
    "workdir": ("image: {IMAGE}\nworkdir: {v}\n", "workdir"),
    "bind source and target, short form": ("image: {IMAGE}\nvolumes: [{v}]\n", "volumes[0]"),
    "bind source": (
        "image: {IMAGE}\nvolumes: [{{type: bind, source: {v}, target: /data}}]\n",
        "volumes[0].source",
    ),
    "named volume source": (
        "image: {IMAGE}\nvolumes: [{{type: volume, source: {v}, target: /data}}]\n",
        "volumes[0].source",
    ),
    "tmpfs target": ("image: {IMAGE}\nvolumes: [{{type: tmpfs, target: {v}}}]\n", "volumes[0].target"),
    "tmpfs size": ("image: {IMAGE}\nvolumes: [{{type: tmpfs, target: /t, size: {v}}}]\n", "volumes[0].size"),
    "tmpfs mode": ("image: {IMAGE}\nvolumes: [{{type: tmpfs, target: /t, mode: {v}}}]\n", "volumes[0].mode"),
    "healthcheck test, string": ("image: {IMAGE}\nhealthcheck: {{test: {v}}}\n", "healthcheck.test"),
    "healthcheck test, list": ("image: {IMAGE}\nhealthcheck: {{test: [CMD, {v}]}}\n", "healthcheck.test[1]"),
    "healthcheck interval": (
        "image: {IMAGE}\nhealthcheck: {{test: x, interval: {v}}}\n",
        "healthcheck.interval",
    ),
    "label key": ("image: {IMAGE}\nlabels: {{{v}: x}}\n", "labels"),
    "annotation key": ("image: {IMAGE}\nannotations: {{{v}: x}}\n", "annotations"),
    "env name": ("image: {IMAGE}\nenv: {{{v}: x}}\n", "env"),
    "dns": ("image: {IMAGE}\nnetwork: {{dns: [{v}]}}\n", "network.dns[0]"),
    "add_hosts name": ("image: {IMAGE}\nnetwork: {{add_hosts: {{{v}: 10.0.0.5}}}}\n", "network.add_hosts"),
    "add_hosts address": ("image: {IMAGE}\nnetwork: {{add_hosts: {{db: {v}}}}}\n", "network.add_hosts.db"),
    "port": ("image: {IMAGE}\nnetwork: {{ports: [{v}]}}\n", "network.ports[0]"),
    "runtime": ("image: {IMAGE}\nruntime: {v}\n", "runtime"),
    "stop_signal": ("image: {IMAGE}\nstop_signal: {v}\n", "stop_signal"),
    "stop_timeout": ("image: {IMAGE}\nstop_timeout: {v}\n", "stop_timeout"),
    "restart": ("image: {IMAGE}\nrestart: {v}\n", "restart"),
    "memory": ("image: {IMAGE}\nresources: {{memory: {v}}}\n", "resources.memory"),
    "cpus": ("image: {IMAGE}\nresources: {{cpus: {v}}}\n", "resources.cpus"),
    "cap_add": ("image: {IMAGE}\ncap_add: [{v}]\n", "cap_add[0]"),
    "read_only": ("image: {IMAGE}\nread_only: {v}\n", "read_only"),
    "build context": ("build: {v}\n", "build"),
    "build containerfile": ("build: {{context: ., containerfile: {v}}}\n", "build.containerfile"),
    "env_file": ("image: {IMAGE}\nenv_file: {v}\n", "env_file"),
    "secret file path": ("image: {IMAGE}\nenv: {{A: {{file: {v}}}}}\n", "env.A.file"),
    "uidmap": ("image: {IMAGE}\nuserns: {{uidmap: [{v}]}}\n", "userns.uidmap[0]"),
}
# a valid value for each field, the attack inserting the character into it
GOOD = {
    "name": "web",
    "image": IMAGE,
    "hostname": "web",
    "user": "1000",
    "workdir": "/srv",
    "bind source and target, short form": "./data:/data",
    "bind source": "./data",
    "named volume source": "data",
    "tmpfs target": "/tmp/x",
    "tmpfs size": "64m",
    "tmpfs mode": "1777",
    "healthcheck test, string": "wget -q localhost",
    "healthcheck test, list": "true",
    "healthcheck interval": "30s",
    "label key": "org.example",
    "annotation key": "org.example",
    "env name": "NAME",
    "dns": "1.1.1.1",
    "add_hosts name": "db",
    "add_hosts address": "10.0.0.5",
    "port": "8080:80",
    "runtime": "crun",
    "stop_signal": "TERM",
    "stop_timeout": "10",
    "restart": "always",
    "memory": "1g",
    "cpus": "1.5",
    "cap_add": "NET_ADMIN",
    "read_only": "true",
    "build context": ".",
    "build containerfile": "Containerfile",
    "env_file": "vars.env",
    "secret file path": "secret.txt",
    "uidmap": "0:100000:65536",
}


def _single_line_profile(field: str, value: str) -> str:
    text, _ = SINGLE_LINE[field]
    return text.format(v=q(value), IMAGE=IMAGE)


@pytest.mark.parametrize("field", list(SINGLE_LINE))
def test_single_line_fields_accept_their_good_value(tmp_path: Path, field: str) -> None:
    write(tmp_path, "A=1\n", "vars.env")
    write(tmp_path, "s3cret\n", "secret.txt")
    (tmp_path / "data").mkdir()
    load(tmp_path, _single_line_profile(field, GOOD[field]))


@pytest.mark.parametrize("char", CONTROL_CHARACTERS, ids=lambda c: f"U+{ord(c):04X}")
@pytest.mark.parametrize("field", list(SINGLE_LINE))
def test_single_line_fields_refuse_control_characters(tmp_path: Path, field: str, char: str) -> None:
    good = GOOD[field]
    # at the end (the trailing-newline attack) and in the middle (an injected line)
    for bad in (good + char, good[:1] + char + good[1:]):
        found = problems(tmp_path, _single_line_profile(field, bad))
        assert len(found) == 1, [str(p) for p in found]
        assert found[0].path.startswith(SINGLE_LINE[field][1]), str(found[0])
        assert "(no control characters)" in found[0].message, found[0].message
        assert found[0].line is not None


@pytest.mark.parametrize(
    ("attack", "where"),
    [
        (
            "image: {IMAGE}\nhealthcheck:\n  test: |\n    true\n    ExecStartPre=/bin/sh -c id\n",
            "healthcheck.test",
        ),
        ('image: "{IMAGE}\\nExecStartPre=/bin/sh -c id"\n', "image"),
        (
            'image: {IMAGE}\nvolumes: [{{type: tmpfs, target: "/tmp\\nExecStartPre=/bin/sh"}}]\n',
            "volumes[0].target",
        ),
    ],
)
def test_unit_file_injections_from_issue_14_are_refused(tmp_path: Path, attack: str, where: str) -> None:
    p = one_problem(tmp_path, attack.format(IMAGE=IMAGE))
    assert p.path == where
    assert "a newline" in p.message
    assert "\n" not in str(p)  # the problem itself is one line: the value is shown escaped


def test_multiline_fields_keep_accepting_newlines_and_tabs(tmp_path: Path) -> None:
    text = "line one\n\tline two\x1b[0m"
    write(tmp_path, 'FROM_FILE="a\\nb"\n', "vars.env")
    p = load(
        tmp_path,
        f"""\
        image: {IMAGE}
        env_file: vars.env
        env:
          PLAIN: {q(text)}
          WRAPPED: {{value: {q(text)}}}
        command: ["sh", "-c", {q(text)}]
        entrypoint: {q("sh -c 'echo a" + chr(10) + "echo b'")}
        labels: {{org.example.note: {q(text)}}}
        annotations: {{org.example.note: {q(text)}}}
        """,
    )
    assert p.data["env"]["PLAIN"] == p.data["env"]["WRAPPED"] == text
    assert p.data["env"]["FROM_FILE"] == "a\nb"
    assert p.data["command"] == ["sh", "-c", text]
    assert p.data["entrypoint"] == ["sh", "-c", "echo a\necho b"]
    assert p.data["labels"]["org.example.note"] == p.data["annotations"]["org.example.note"] == text
    b = load(tmp_path, f"build: {{context: ., args: {{NOTE: {q(text)}}}}}\n", "b.yaml")
    assert b.data["build"]["args"] == {"NOTE": text}


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('command: ["sh", "-c", "a\\0b"]', "command[2]"),
        ('command: "echo a\\0b"', "command"),
        ('entrypoint: ["a\\0"]', "entrypoint[0]"),
        ('labels: {a: "x\\0"}', "labels.a"),
        ('annotations: {a: "x\\0"}', "annotations.a"),
    ],
)
def test_multiline_fields_still_refuse_a_nul_byte(tmp_path: Path, text: str, where: str) -> None:
    p = one_problem(tmp_path, f"image: {IMAGE}\n{text}\n")
    assert p.path == where
    assert "a NUL byte" in p.message


def test_control_characters_brought_in_by_interpolation_are_refused(tmp_path: Path) -> None:
    p = one_problem(tmp_path, "image: ${IMG}\n", IMG=f"{IMAGE}\nExecStartPre=/bin/sh")
    assert p.path == "image" and "a newline" in p.message


def test_a_bind_source_resolving_to_a_control_character_is_refused(tmp_path: Path) -> None:
    evil = tmp_path / "evil\nExecStartPre=x"
    evil.mkdir()
    (tmp_path / "data").symlink_to(evil)
    for volume in ("./data:/data", "{type: bind, source: ./data, target: /data}"):
        p = one_problem(tmp_path, f"image: {IMAGE}\nvolumes: [{volume}]\n")
        assert p.path.startswith("volumes[0]")
        assert "resolves to" in p.message and "a newline" in p.message
        assert "\n" not in str(p)


def test_a_profile_file_name_with_control_characters_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, f"name: web\nimage: {IMAGE}\n", "web\nExecStartPre=x.yaml")
    with pytest.raises(ProfileError) as info:
        load_profile(path, environ={})
    assert "rename the file" in str(info.value)
    assert "\n" not in str(info.value)


def test_an_extends_name_with_a_newline_is_refused(tmp_path: Path) -> None:
    write(tmp_path, f"image: {IMAGE}\n", "base.yaml\n")
    found = problems(tmp_path, 'extends: "base.yaml\\n"\n')
    assert [p.path for p in found if "a newline" in p.message] == ["extends"]


def test_problem_lines_never_hold_control_characters(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        'image: "a\\x1b[2Jb"\nlabels: {"k\\x1b]0;pwned\\x07": v}\nnetwork: {ports: ["1\\r:2"]}\n',
    )
    assert len(found) == 3
    for p in found:
        assert not schema.CONTROL.search(str(p)), repr(str(p))
    # whatever a message or a file name holds, a problem prints as one line without escapes
    odd = Problem("a\nb\x1b[2J.yaml", 1, 2, "x", "got \r\x00\u2028")
    assert str(odd) == "a\\nb\\x1b[2J.yaml:1:2: x: got \\r\\x00\\u2028"


def _strings(t: schema.Type, path: str) -> list[tuple[str, schema.Str]]:
    """Every Str in the schema under ``t``, with where it is."""
    out: list[tuple[str, schema.Str]] = []
    if isinstance(t, schema.Str):
        out.append((path, t))
    if isinstance(t, schema.Obj):
        for key, child in t.fields.items():
            out += _strings(child, f"{path}.{key}" if path else key)
    elif isinstance(t, schema.Kinds):
        for child in t.alternatives.values():
            if child is not None:
                out += _strings(child, path)
    elif isinstance(t, schema.List):
        out += _strings(t.item, f"{path}[]")
    elif isinstance(t, schema.Map):
        out += _strings(t.value, f"{path}.*")
    return out


def test_only_fields_meant_to_span_lines_accept_control_characters() -> None:
    multiline = {path for path, t in _strings(schema.PROFILE, "") if t.control}
    assert multiline == {
        "command",
        "command[]",
        "entrypoint",
        "entrypoint[]",
        "labels.*",
        "annotations.*",
        "build.args.*",
        "env.*.value",
    }


def test_the_json_schema_refuses_what_the_loader_refuses() -> None:
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema.json_schema())
    for bad in (
        {"name": "web\n", "image": "x"},
        {"image": "x\nExecStartPre=y"},
        {"image": "x", "user": "0\n"},
        {"image": "x", "labels": {"a\n": "v"}},
        {"image": "x", "env": {"A\n": "v"}},
        {"image": "x", "env": {"A": "v\x00"}},
        {"image": "x", "healthcheck": {"test": "true\nExecStartPre=y"}},
        {"image": "x", "volumes": [{"type": "tmpfs", "target": "/t\nX=y"}]},
        {"image": "x", "command": ["a\x00"]},
    ):
        assert list(validator.iter_errors(bad)), bad
    ok = {"image": "x", "command": ["sh", "-c", "a\nb"], "labels": {"a": "1\n2"}, "env": {"A": "1\n2"}}
    assert not list(validator.iter_errors(ok))


# ---------------------------------------------------------------------------------------------
# Item 6: no NUL byte in an environment value, and no message ever shows a secret

SECRET = "TOPSECRET-7f3a91"


@pytest.mark.parametrize(
    ("env", "where"),
    [
        (f'{{A: "{SECRET}\\0x"}}', "env.A"),
        (f'["A={SECRET}\\0x"]', "env.A"),
        (f'{{A: {{value: "{SECRET}\\0x"}}}}', "env.A.value"),
        (f'{{A: {{value: "{SECRET}\\0x", secret: true}}}}', "env.A.value"),
    ],
)
def test_a_nul_byte_in_an_env_value_is_refused_without_showing_it(
    tmp_path: Path, env: str, where: str
) -> None:
    p = one_problem(tmp_path, f"image: {IMAGE}\nenv: {env}\n")
    assert p.path == where
    assert "a NUL byte" in p.message
    assert SECRET not in str(p)


def test_a_nul_byte_in_a_secret_file_names_the_secret_and_file_never_the_content(tmp_path: Path) -> None:
    secret = tmp_path / "token.txt"
    secret.write_bytes(f"{SECRET}\0tail\n".encode())
    p = one_problem(tmp_path, f"image: {IMAGE}\nenv:\n  TOKEN: {{file: token.txt}}\n")
    assert (p.line, p.path) == (3, "env.TOKEN.file")
    assert p.message.startswith(f"the secret file {secret} holds a NUL byte")
    assert SECRET not in str(p)


def test_a_nul_byte_in_an_env_file_value_is_refused_without_showing_it(tmp_path: Path) -> None:
    (tmp_path / "vars.env").write_bytes(f"GOOD=1\nTOKEN={SECRET}\0tail\n".encode())
    p = one_problem(tmp_path, f"image: {IMAGE}\nenv_file: vars.env\n")
    assert (Path(p.file).name, p.line) == ("vars.env", 2)
    assert "TOKEN" in p.message and "a NUL byte" in p.message
    assert SECRET not in str(p)


def test_no_validation_message_shows_a_secret_value(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A secret file, and the same value in many wrong places: the value never reaches stderr."""
    (tmp_path / "token.txt").write_text(SECRET + "\n")
    (tmp_path / "nul.txt").write_bytes(f"{SECRET}\0\n".encode())
    (tmp_path / "vars.env").write_bytes(f"{SECRET}\nB={SECRET}\0\nC-D={SECRET}\n".encode())
    bad = {
        "secret file holding a NUL": "env: {A: {file: nul.txt}}",
        "secret file, bad secret flag": "env: {A: {file: token.txt, secret: maybe}}",
        "secret file and a value": f"env: {{A: {{file: token.txt, value: {SECRET}}}}}",
        "env as one string": f"env: A={SECRET}",
        "env as one number": "env: 73919101",
        "list entry without =": f"env: [{SECRET}]",
        "list entry of a number": "env: [73919101]",
        "value of a wrong type": f"env: {{A: {{value: [{SECRET}]}}}}",
        "value with a NUL": f'env: {{A: "{SECRET}\\0"}}',
        "value with a bad $": f'env: {{A: "{SECRET}$"}}',
        "env_file lines": "env_file: vars.env",
        "the secret file as a base profile": "extends: token.txt",
    }
    profiles = []
    for i, (what, text) in enumerate(bad.items()):
        profiles.append(str(write(tmp_path, f"# {what}\nimage: {IMAGE}\n{text}\n", f"bad{i}.yaml")))
    profiles.append(str(tmp_path / "token.txt"))  # the secret file itself, validated as a profile
    for args in (profiles, ["--json", *profiles]):
        code, output = run_validate(args, capsys)
        assert code == 2
        assert "Traceback" not in output
        assert SECRET not in output and "73919101" not in output
    # and the same through the Python API, where each one is refused
    for path in profiles:
        with pytest.raises(ProfileError) as info:
            load_profile(Path(path), environ={})
        assert SECRET not in str(info.value)


# ---------------------------------------------------------------------------------------------
# Item 8: every number is bounded at validate time; digit bombs never reach int()

BOMB = "9" * 5000  # Python's int() refuses more than 4300 digits: a traceback before

NUMBER_BOMBS = {
    "stop_timeout, 5000 digits": (f"stop_timeout: {BOMB}", "stop_timeout", "an integer from 0 to 86400"),
    "stop_timeout, quoted digits": (f'stop_timeout: "{BOMB}"', "stop_timeout", "an integer from 0 to 86400"),
    "stop_timeout, 20 digits": ("stop_timeout: 99999999999999999999", "stop_timeout", "from 0 to 86400"),
    "stop_timeout, a day and a second": ("stop_timeout: 86401", "stop_timeout", "from 0 to 86400"),
    "stop_timeout, hex bomb": ("stop_timeout: 0x" + "f" * 5000, "stop_timeout", "from 0 to 86400"),
    "cpus 1e308": ("resources: {cpus: 1.0e+308}", "resources.cpus", "a number from 0.01 to 1024"),
    "cpus 1e308 as text": ("resources: {cpus: '1e308'}", "resources.cpus", "from 0.01 to 1024"),
    "cpus, 400 digits": ("resources: {cpus: 1" + "0" * 400 + "}", "resources.cpus", "from 0.01 to 1024"),
    "cpus, too few": ("resources: {cpus: 0.001}", "resources.cpus", "from 0.01 to 1024"),
    "memory beyond 1 PiB": ("resources: {memory: 2048t}", "resources.memory", "at most 1125899906842624"),
    "memory in bytes beyond 1 PiB": (f"resources: {{memory: {2**50 + 1}}}", "resources.memory", "at most"),
    "memory, 5000 digits": (f"resources: {{memory: {BOMB}}}", "resources.memory", "memory size"),
    "pids": (f"resources: {{pids: {2**22 + 1}}}", "resources.pids", "from 1 to 4194304"),
    "ulimit": (f"ulimits: {{nofile: {2**63}}}", "ulimits.nofile", "from -1 to 9223372036854775807"),
    "ulimit, soft": (f"ulimits: {{nofile: {{soft: {BOMB}, hard: 1}}}}", "ulimits.nofile.soft", "from -1"),
    "healthcheck interval": (
        "healthcheck: {test: x, interval: 25h}",
        "healthcheck.interval",
        "at most 86400",
    ),
    "healthcheck timeout": (f"healthcheck: {{test: x, timeout: {BOMB}}}", "healthcheck.timeout", "duration"),
    "healthcheck start_period": (
        f"healthcheck: {{test: x, start_period: {BOMB[:300]}s}}",
        "healthcheck.start_period",
        "at most 86400",
    ),
    "healthcheck retries": ("healthcheck: {test: x, retries: 1001}", "healthcheck.retries", "from 0 to 1000"),
    "restart retries": ("restart: on-failure:1001", "restart", "at most 1000 retries"),
    "restart retries, digits": (f"restart: on-failure:{BOMB}", "restart", "at most 1000 retries"),
    "stop_signal digits": (f"stop_signal: '{BOMB}'", "stop_signal", "a signal"),
    "port digits": (f"network: {{ports: ['1:{BOMB}']}}", "network.ports[0]", "a port 1-65535"),
    "port, long form": (
        f"network: {{ports: [{{host_port: '{BOMB}', container_port: 80}}]}}",
        "network.ports[0].host_port",
        "from 1 to 65535",
    ),
    "uidmap beyond 32 bits": ("userns: {uidmap: ['0:4294967295:2']}", "userns.uidmap[0]", "below 2^32"),
    "uidmap, many digits": (f"userns: {{uidmap: ['0:{BOMB}:1']}}", "userns.uidmap[0]", "CONTAINER_ID"),
    "uidmap, empty range": ("userns: {uidmap: ['0:100000:0']}", "userns.uidmap[0]", "at least 1"),
    "tmpfs size": ("volumes: [{type: tmpfs, target: /t, size: 2048t}]", "volumes[0].size", "at most"),
}


@pytest.mark.parametrize("case", list(NUMBER_BOMBS))
def test_numbers_beyond_their_bounds_are_refused_with_a_clear_message(tmp_path: Path, case: str) -> None:
    text, where, expected = NUMBER_BOMBS[case]
    p = one_problem(tmp_path, f"image: {IMAGE}\n{text}\n")
    assert p.path == where
    assert expected in p.message, p.message
    assert len(p.message) < 300  # the bomb is not repeated in full


def test_numbers_at_their_bounds_are_accepted(tmp_path: Path) -> None:
    p = load(
        tmp_path,
        f"""\
        image: {IMAGE}
        stop_timeout: 86400
        restart: on-failure:1000
        resources: {{memory: 1024t, cpus: 1024, pids: {2**22}}}
        ulimits: {{nofile: {{soft: -1, hard: -1}}, core: {2**63 - 1}}}
        healthcheck: {{test: x, interval: 24h, timeout: 86400, start_period: 1440m, retries: 1000}}
        userns: {{uidmap: ["0:4294967295:1", "4294967295:0:1"]}}
        """,
    )
    assert p.data["stop_timeout"] == 86400
    assert p.data["resources"] == {"memory": 2**50, "cpus": 1024.0, "pids": 2**22}
    assert p.data["ulimits"]["core"] == {"soft": 2**63 - 1, "hard": 2**63 - 1}
    assert p.data["healthcheck"]["interval"] == p.data["healthcheck"]["start_period"] == 86400.0
    assert (
        load(tmp_path, f"image: {IMAGE}\nresources: {{cpus: 0.01}}\n", "small.yaml").data["resources"]["cpus"]
        == 0.01
    )


def test_huge_integers_in_string_fields_keep_their_text(tmp_path: Path) -> None:
    hexbomb = "0x" + "f" * 5000
    p = load(tmp_path, f"image: {IMAGE}\nenv: {{A: {hexbomb}, B: {BOMB[:4000]}}}\nlabels: {{n: {hexbomb}}}\n")
    assert p.data["env"]["A"] == p.data["labels"]["n"] == hexbomb
    assert p.data["env"]["B"] == BOMB[:4000]


def test_a_digit_bomb_exits_2_without_a_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, f"image: {IMAGE}\nstop_timeout: {BOMB}\nresources: {{cpus: 1.0e+308}}\n")
    code, output = run_validate([str(path)], capsys)
    assert code == 2
    assert "Traceback" not in output
    assert f"{path}:2:15: stop_timeout: expected an integer from 0 to 86400" in output
    assert f"{path}:3:19: resources.cpus: expected a number from 0.01 to 1024, got 1e+308" in output


def _numbers(node: Any, path: str = "") -> list[tuple[str, dict[str, Any]]]:
    """Every integer or number alternative in a JSON Schema."""
    out = []
    if isinstance(node, dict):
        if node.get("type") in ("integer", "number"):
            out.append((path, node))
        for key, child in node.items():
            out += _numbers(child, f"{path}/{key}")
    elif isinstance(node, list):
        for i, child in enumerate(node):
            out += _numbers(child, f"{path}/{i}")
    return out


def test_every_number_in_the_json_schema_is_bounded() -> None:
    numbers = _numbers(schema.json_schema())
    assert len(numbers) >= 12
    for where, node in numbers:
        assert "maximum" in node and "minimum" in node, where


def test_the_json_schema_carries_the_same_bounds() -> None:
    import jsonschema

    validator = jsonschema.Draft202012Validator(schema.json_schema())
    for bad in (
        {"image": "x", "stop_timeout": 86401},
        {"image": "x", "stop_timeout": 99999999999999999999},
        {"image": "x", "resources": {"cpus": 1e308}},
        {"image": "x", "resources": {"memory": 2**50 + 1}},
        {"image": "x", "resources": {"pids": 2**22 + 1}},
        {"image": "x", "ulimits": {"nofile": 2**63}},
        {"image": "x", "healthcheck": {"test": "x", "retries": 1001, "interval": 86401}},
        {"image": "x", "stop_signal": 65},
        {"image": "x", "userns": {"uidmap": ["0:12345678901:1"]}},
        {"image": "x", "restart": "on-failure:10000"},
    ):
        assert list(validator.iter_errors(bad)), bad
    ok = {"image": "x", "stop_timeout": 86400, "resources": {"cpus": 1024, "memory": 2**50, "pids": 2**22}}
    assert not list(validator.iter_errors(ok))
