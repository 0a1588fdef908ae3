"""Hostile values in generated units and Quadlet files (issue 14, items 3 and 7).

The profile validator refuses control characters in single-line fields (test_profile_security),
but a generated file must be safe on its own: its values also come from where the validator
does not look (the profile's path, the environment, the executable's path), and a field may
grow a new writer before it grows a check. Each test here gives one value a hostile string,
bypassing the validator, and reads the generated file back as systemd would
(``unit_file_syntax``, written from systemd.syntax(7)): it must have exactly the keys the clean
profile gives, and every value must mean exactly what it said, the hostile characters included.
A value that a key cannot hold at all (Quadlet reads Image= as it is, with no escapes) is
refused with a message naming the field, never written.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rcontainer.convert.quadlet import quadlet_text
from rcontainer.errors import BadInput
from rcontainer.profile import Profile
from rcontainer.profile.project import Project, load_project
from rcontainer.systemd import install, syntax, unit
from rcontainer.systemd.project import network_unit_name, project_units, target_name
from tests.unit import unit_file_syntax as sd
from tests.unit.profile_helpers import IMAGE, load
from tests.unit.test_systemd_project import entries, shop

RC = ["/opt/rc/bin/rcontainer"]

# Every string field a generator writes, in two shapes (healthcheck and userns forms differ).
BASE_SHELL = f"""
name: full
image: {IMAGE}
pull: always
entrypoint: ["/bin/sh", "-c"]
command: ["echo", "hi"]
workdir: /work
user: "1000:1000"
userns: {{uidmap: ["0:1:1"], gidmap: ["0:1:1"]}}
env: {{TZ: UTC, TOKEN: {{value: s3, secret: true}}}}
network:
  mode: private
  ports: ["127.0.0.1:8080:80"]
  hostname: box
  dns: ["1.1.1.1"]
  add_hosts: {{db: 10.0.0.5}}
volumes: ["/srv/data:/data:ro", "data:/v", {{type: tmpfs, target: /tmp, size: 1m}}]
healthcheck: {{test: "test -e /tmp/ok", interval: 3s}}
restart: on-failure:2
stop_signal: SIGINT
ulimits: {{nofile: {{soft: 1024, hard: 2048}}}}
labels: {{app: demo}}
annotations: {{note: x}}
cap_add: [NET_BIND_SERVICE]
cap_drop: [ALL]
"""
BASE_CMD = (
    BASE_SHELL.replace(
        'healthcheck: {test: "test -e /tmp/ok", interval: 3s}', "healthcheck: {test: [CMD, 'true']}"
    )
    .replace('userns: {uidmap: ["0:1:1"], gidmap: ["0:1:1"]}', "userns: keep-id")
    .replace('"/srv/data:/data:ro"', '"/srv/data:/data:ro,z"')
)

PAYLOADS = {
    "newline": "\n",
    "carriage return": "\r",
    "percent": "%",
    "backslash": "\\",
    "double quote": '"',
    "single quote": "'",
    "dollar": "$HOME",
    "semicolon": ";",
    "all of them": "\n[Service]\nExecStartPre=/bin/sh -c 'id' ; $X %h \\\r\"",
}

# Strings that are a choice from a list, not a value: the generators map them, never write them.
CHOICES = {
    "network.mode",
    "runtime",
    "restart",
    "volumes[0].type",
    "volumes[1].type",
    "volumes[2].type",
    "healthcheck.test[0]",
}
# Free-form mappings: their keys are values too.
MAPPINGS = {"env", "labels", "annotations", "network.add_hosts", "ulimits"}
# Fields written into a Quadlet key read as it is (no quoting, no escapes): a value such a key
# cannot hold is refused. A healthcheck's CMD form is written as JSON, which escapes.
QUADLET_RAW = {
    "image",
    "user",
    "userns",
    "volumes[2].target",
    "network.ports[0].host_ip",
    "network.ports[0].protocol",
}
BASES = {
    "shell healthcheck": (BASE_SHELL, QUADLET_RAW | {"healthcheck.test[1]"}),
    "CMD healthcheck": (BASE_CMD, QUADLET_RAW),
}


def dotted(path: tuple[Any, ...]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}" if out else str(part)
    return out


def hostile_variants(profile: Profile, payload: str) -> Iterator[tuple[str, Profile]]:
    """(field, ``profile`` with that one string field, or mapping key, made hostile)."""

    def walk(node: Any, path: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], bool]]:
        if isinstance(node, dict):
            for key, value in node.items():
                if dotted(path) in MAPPINGS:
                    yield (*path, key), True
                yield from walk(value, (*path, key))
        elif isinstance(node, list):
            for i, value in enumerate(node):
                yield from walk(value, (*path, i))
        elif isinstance(node, str) and node and dotted(path) not in CHOICES:  # "": unset
            yield path, False

    for path, is_key in list(walk(profile.data, ())):
        data = copy.deepcopy(profile.data)
        secret_env = set(profile.secret_env)
        parent = data
        for part in path[:-1]:
            parent = parent[part]
        last = path[-1]
        if is_key:
            parent[last + payload] = parent.pop(last)
            if path[:1] == ("env",) and last in secret_env:  # still the same secret
                secret_env = (secret_env - {last}) | {last + payload}
            field = f"{dotted(path)} (key)"
        else:
            parent[last] = parent[last] + payload
            field = dotted(path)
        yield field, Profile(data["name"], profile.path, data, frozenset(secret_env))


# -- reading a generated file back ---------------------------------------------------------------
COMMAND_LINES = {"ExecStart", "ExecStop", "ExecStopPost", "Exec", "PodmanArgs"}
WORD_LISTS = {"Environment", "Label", "Annotation", "Volume", "AddCapability", "DropCapability"}
SERVICE_KEYS = {"Restart", "RestartSec", "TimeoutStopSec", "StartLimitBurst", "StartLimitIntervalSec"}


def meaning(key: str, value: str, *, quadlet: bool) -> list[Any]:
    """What a key's value finally says: to systemd in a unit; in a Quadlet file, to the
    ``podman run`` that Quadlet writes on an ExecStart= line, where systemd expands ``$`` too."""
    variables = quadlet or key in COMMAND_LINES
    if key in COMMAND_LINES or key in WORD_LISTS:
        if key.startswith("ExecStop"):
            value = value.removeprefix("-")  # "-": a failure is no failure
        return sd.words(value, variables=variables)
    if key == "Description":
        return [sd.shown(value)]
    if key == "HealthCmd" and value.startswith("["):
        return json.loads(sd.specifiers(value, variables=True))  # Podman reads a JSON array
    return [sd.specifiers(value, variables=variables and key not in SERVICE_KEYS)]


def inserted(clean: Any, hostile: Any, payload: str) -> bool:
    """``hostile`` is ``clean`` with ``payload`` (or its JSON escape, inside a JSON value)
    inserted once, and nothing else changed."""
    if not (isinstance(clean, str) and isinstance(hostile, str)):
        return False
    for form in {payload, json.dumps(payload)[1:-1]}:
        start = hostile.find(form)
        while start != -1:
            if hostile[:start] + hostile[start + len(form) :] == clean:
                return True
            start = hostile.find(form, start + 1)
    return False


def assert_same_meaning(clean_text: str, hostile_text: str, payload: str, *, quadlet: bool = False) -> None:
    clean, hostile = sd.parse(clean_text), sd.parse(hostile_text)
    assert hostile.keys() == clean.keys(), "keys added or lost"
    assert len(hostile.comments) == len(clean.comments), "comment lines added or lost"
    for c, h in zip(clean.comments, hostile.comments, strict=True):
        c, h = sd.c_unescape(c), sd.c_unescape(h)
        assert h == c or inserted(c, h, payload), (c, h)
    for (_, key, c_value), (_, _, h_value) in zip(clean.entries, hostile.entries, strict=True):
        c_words = meaning(key, c_value, quadlet=quadlet)
        h_words = meaning(key, h_value, quadlet=quadlet)
        if c_words == h_words:
            continue
        assert len(c_words) == len(h_words), (key, c_words, h_words)
        changed = [(c, h) for c, h in zip(c_words, h_words, strict=True) if c != h]
        assert len(changed) == 1 and inserted(*changed[0], payload), (key, c_words, h_words)


def may_refuse(field: str, payload: str, raw_fields: set[str]) -> bool:
    """Whether Quadlet output may refuse the field with this payload: a value read as it is
    cannot hold a control character, nor end in a backslash."""
    field = field.removesuffix(" (key)")
    cannot = any(syntax._CONTROL.match(c) for c in payload) or "\\" in payload
    return field in raw_fields and cannot


# -- the tests ---------------------------------------------------------------------------------
def _unit(profile: Profile, **kw: Any) -> str:
    return unit.unit_text(profile, exe=kw.get("exe", RC), environ=kw.get("environ", {})).text


@pytest.mark.parametrize("base", list(BASES))
@pytest.mark.parametrize("payload", list(PAYLOADS.values()), ids=list(PAYLOADS))
def test_no_profile_field_adds_a_line_to_a_unit(tmp_path: Path, base: str, payload: str) -> None:
    clean = load(tmp_path, BASES[base][0])
    clean_text = _unit(clean)
    failures = []
    for field, profile in hostile_variants(clean, payload):
        try:
            text = _unit(profile)
        except BadInput as exc:
            if field != "name":
                failures.append(f"{field}: refused: {exc}")
            continue
        if field == "name":
            failures.append("name: a name that is no container name made a unit")
            continue
        try:
            assert_same_meaning(clean_text, text, payload)
        except AssertionError as exc:
            failures.append(f"{field}: {exc}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("base", list(BASES))
@pytest.mark.parametrize("payload", list(PAYLOADS.values()), ids=list(PAYLOADS))
def test_no_profile_field_adds_a_line_to_a_quadlet_file(tmp_path: Path, base: str, payload: str) -> None:
    text_of_base, raw_fields = BASES[base]
    clean = load(tmp_path, text_of_base)
    clean_text = quadlet_text(clean).text
    failures = []
    checked = 0
    for field, profile in hostile_variants(clean, payload):
        try:
            text = quadlet_text(profile).text
        except BadInput as exc:
            name = field.removesuffix(" (key)")
            if name == "name":
                continue  # a name that is no container name names no file: see test_names_...
            if not may_refuse(field, payload, raw_fields):
                failures.append(f"{field}: refused: {exc}")
            elif not name.startswith(str(exc).split(":")[0]):
                failures.append(f"{field}: the refusal does not name the field: {exc}")
            continue
        if field == "name":
            failures.append("name: a name that is no container name made a Quadlet file")
            continue
        try:
            assert_same_meaning(clean_text, text, payload, quadlet=True)
            checked += 1
        except AssertionError as exc:
            failures.append(f"{field}: {exc}")
    assert not failures, "\n".join(failures)
    assert checked >= 25  # the walk reached the fields (a typo in BASE would make it vacuous)


@pytest.mark.parametrize("payload", list(PAYLOADS.values()), ids=list(PAYLOADS))
def test_the_profile_path_cannot_add_a_line(tmp_path: Path, payload: str) -> None:
    # A file name with a newline added directives through the header comment before.
    clean = load(tmp_path, BASE_SHELL)
    data = {**clean.data, "project": "p"}  # not the folder's (a payload in it may change that)
    hostile = Profile(clean.name, Path(f"/home/u/pro{payload}files/p.yaml"), data, clean.secret_env)
    cleaner = Profile(clean.name, Path("/home/u/profiles/p.yaml"), data, clean.secret_env)
    assert_same_meaning(_unit(cleaner), _unit(hostile), payload)
    assert_same_meaning(quadlet_text(cleaner).text, quadlet_text(hostile).text, payload, quadlet=True)
    start = dict((k, v) for _, k, v in sd.parse(_unit(hostile)).entries)["ExecStart"]
    assert sd.words(start, variables=True) == [*RC, "run-unit", str(hostile.path)]


@pytest.mark.parametrize("payload", list(PAYLOADS.values()), ids=list(PAYLOADS))
def test_environment_and_executable_cannot_add_a_line(tmp_path: Path, payload: str) -> None:
    profile = load(tmp_path, BASE_SHELL)
    clean = _unit(profile, environ={"RCONTAINER_STATE_DIR": "/s", "CONTAINER_HOST": "unix:///p.sock"})
    hostile = _unit(
        profile, environ={"RCONTAINER_STATE_DIR": f"/s{payload}", "CONTAINER_HOST": "unix:///p.sock"}
    )
    assert_same_meaning(clean, hostile, payload)
    assert_same_meaning(_unit(profile), _unit(profile, exe=[f"/opt/rc{payload}/bin/rcontainer"]), payload)
    entries = sd.parse(hostile).entries
    assert [sd.words(v) for _, k, v in entries if k == "Environment"][0] == [
        f"RCONTAINER_STATE_DIR=/s{payload}"
    ]


def test_the_reader_sees_the_attack_the_writer_prevents() -> None:
    # The checks above mean something: a raw newline in a comment or a value adds a key.
    clean = "# a comment\n[Service]\nExecStart=/bin/true\n"
    assert sd.parse(clean).keys() == [("Service", "ExecStart")]
    injected = sd.parse(
        "# from /x\n[Service]\nExecStartPre=/bin/evil\n#.p.yaml\n[Service]\nExecStart=/bin/true\n"
    )
    assert ("Service", "ExecStartPre") in injected.keys()
    hostile = sd.parse("[Service]\nDescription=x\rExecStartPre=/bin/evil\nExecStart=/bin/true\n")
    assert ("Service", "ExecStartPre") in hostile.keys()
    continued = sd.parse("[Service]\nDescription=x\\\nExecStart=/bin/true\n")
    assert continued.keys() == [("Service", "Description")]
    with pytest.raises(sd.SyntaxProblem):
        sd.parse("# ends in a backslash \\\n[Service]\n")
    assert sd.words('a "b c" d\\x41 "%%" $$X', variables=True) == ["a", "b c", "dA", "%", "$X"]


@pytest.mark.parametrize(
    "value",
    ["x\ny", "x\ry", "x\x1by", "x\x85y", "x\u2028y", "trailing\\", " lead", "trail "],
)
def test_raw_values_that_cannot_read_back_are_refused(value: str) -> None:
    with pytest.raises(BadInput, match="image"):
        syntax.raw(value, "image")
    assert syntax.raw("busybox:100%", "image") == "busybox:100%%"


@pytest.mark.parametrize(
    ("arg", "written"),
    [
        ("a\nb", '"a\\nb"'),
        ("a\rb", '"a\\rb"'),
        ("a\x1bb", '"a\\x1bb"'),
        ("a\u2028b", '"a\\u2028b"'),
        ("end\\", '"end\\\\"'),
    ],
)
def test_command_line_words_escape_every_control_character(arg: str, written: str) -> None:
    assert syntax.word(arg) == written
    assert sd.words(written, variables=True) == [arg]


def test_a_nul_byte_is_refused_not_written() -> None:
    with pytest.raises(BadInput, match="NUL"):
        syntax.word("a\x00b")


# -- item 7: a unit file name is made from a container name only --------------------------------
@pytest.mark.parametrize(
    "name",
    ["x/../../../../victim", "../victim", "a/b", "web\nExecStartPre=x", "", ".hidden", "UPPER", "a" * 64],
)
def test_names_that_are_not_container_names_never_make_a_unit_file_name(name: str) -> None:
    with pytest.raises(BadInput, match="not a container name"):
        unit.unit_name(name)
    from rcontainer.convert.quadlet import quadlet_name

    with pytest.raises(BadInput, match="not a container name"):
        quadlet_name(name)


def test_uninstall_refuses_a_path_and_touches_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The attack: `systemd uninstall x/../../../../victim` deleted ~/victim.service.
    home = tmp_path / "home"
    units = home / ".config" / "systemd" / "user"
    units.mkdir(parents=True)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    victim = home / "victim.service"
    victim.write_text("mine")
    (units / "rcontainer-x").mkdir()  # so that the path resolves as the attack needs
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    with pytest.raises(BadInput):
        install.uninstall("x/../../../../victim", manager=lambda: False)
    assert victim.read_text() == "mine"
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before


def test_uninstall_of_a_path_exits_2_through_the_command(tmp_path: Path, monkeypatch, capsys) -> None:
    from rcontainer.cli import main

    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / ".config"))
    victim = tmp_path / "victim.service"
    victim.write_text("mine")
    (tmp_path / ".config" / "systemd" / "user" / "rcontainer-x").mkdir(parents=True)
    with pytest.raises(SystemExit) as info:
        main(["systemd", "uninstall", "x/../../../victim"])
    assert info.value.code == 2
    assert victim.exists()
    assert "not a container name" in capsys.readouterr().err


# -- issue 16, item 5: a project's units (one per profile, its network's, its target) ----------
@pytest.mark.parametrize("payload", list(PAYLOADS.values()), ids=list(PAYLOADS))
def test_no_folder_path_or_environment_value_adds_a_line_to_a_projects_units(tmp_path, payload):
    loaded = load_project(shop(tmp_path), environ={})

    def at(folder: Path) -> Project:
        profiles = {
            n: Profile(p.name, folder / p.path.name, {**p.data, "project": "shop"}, p.secret_env)
            for n, p in loaded.profiles.items()
        }
        return Project("shop", folder, profiles)

    clean = project_units(at(Path("/home/u/shop")), exe=RC, environ={"RCONTAINER_STATE_DIR": "/s"})
    hostile = project_units(
        at(Path(f"/home/u/sh{payload}op")), exe=RC, environ={"RCONTAINER_STATE_DIR": f"/s{payload}"}
    )
    assert [g.filename for g in clean] == [g.filename for g in hostile]
    for c, h in zip(clean, hostile, strict=True):
        assert_same_meaning(c.text, h.text, payload)
    start = entries(hostile[-2].text)["ExecStart"][0]
    assert sd.words(start, variables=True)[-1] == f"/home/u/sh{payload}op/web.yaml"


@pytest.mark.parametrize("project", ["", "a.b", "A", "../x", "x/y", "x\nExecStartPre=y", "-x", "a" * 64])
def test_names_that_are_not_project_names_make_no_unit_file_name(project):
    with pytest.raises(BadInput, match="not a project name"):
        target_name(project)
    with pytest.raises(BadInput, match="not a project name"):
        network_unit_name(project)
    if project:
        with pytest.raises(BadInput, match="not a project name"):
            unit.unit_name("web", project)
