"""Attacks through conversions (issue 14): Compose import (item 3) and kube export names (item 12).

A Compose file is someone else's text. Before these fixes a service named
``"web\\nprivileged: true\\n#"`` was written raw into the comment at the top of the generated
profile, which added a real ``privileged: true`` line that then validated; the Compose file's
name went into that comment too, and the import notes printed raw newlines. ``kube export``
wrote claim names that Kubernetes refuses (``x.-y``), and gave two volumes one claim.
"""

from __future__ import annotations

import json
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from rcontainer.convert import compose as compose_import
from rcontainer.convert import kube, kube_names
from rcontainer.convert.loss import Loss
from rcontainer.errors import BadInput
from rcontainer.profile import load_profile
from tests.unit.profile_helpers import IMAGE, load

ATTACK = 'services:\n  "web\\nprivileged: true\\n#":\n    image: busybox\n'


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    from rcontainer.cli import main

    with pytest.raises(SystemExit) as info:
        main(argv)
    out, err = capsys.readouterr()
    code = info.value.code if isinstance(info.value.code, int) else 0
    return code, out, err


# -- Compose import --------------------------------------------------------------------------
def test_a_service_name_with_a_newline_is_refused(tmp_path: Path) -> None:
    compose = tmp_path / "compose.yaml"
    compose.write_text(ATTACK)
    out = tmp_path / "out"
    with pytest.raises(BadInput) as info:
        compose_import.import_compose(compose, output_dir=out)
    message = str(info.value)
    assert message.startswith(f"{compose}:2: services.")  # the file, the line, the key
    assert "without control characters" in message
    assert "\n" not in message and "\\n" in message  # shown escaped, on one line
    assert not out.exists() or not list(out.iterdir())  # nothing written


@pytest.mark.parametrize("character", ["\n", "\r", "\x85", "\u2028", "\x1b"])
def test_no_service_name_carries_a_control_character_through(tmp_path: Path, character: str) -> None:
    compose = tmp_path / "compose.yaml"
    compose.write_text(f"services:\n  {json.dumps('web' + character + 'x')}:\n    image: busybox\n")
    with pytest.raises(BadInput, match="without control characters"):
        compose_import.import_compose(compose, output_dir=tmp_path / "out")


def test_odd_service_names_become_valid_profile_names(tmp_path: Path) -> None:
    compose = tmp_path / "compose.yaml"
    compose.write_text("services:\n  'My Web!':\n    image: busybox\n  '..':\n    image: busybox\n")
    result = compose_import.import_compose(compose, output_dir=tmp_path / "out")
    names = sorted(load_profile(p).name for p in result.written)
    assert names == ["my-web-", "service"]


@pytest.mark.parametrize(
    "filename", ["c\nprivileged: true\n#.yaml", "c\rprivileged: true.yaml", "c\x85x.yaml"]
)
def test_the_compose_file_name_cannot_add_a_line_to_the_profile(tmp_path: Path, filename: str) -> None:
    compose = tmp_path / filename
    compose.write_text("services:\n  web:\n    image: busybox\n")
    out = tmp_path / "out"
    (written,) = compose_import.import_compose(compose, output_dir=out).written
    text = written.read_text()
    header = text.split("name: web")[0]
    assert len(header.splitlines()) == 2 and all(line.startswith("# ") for line in header.splitlines())
    assert "privileged" not in yaml.safe_load(text)
    assert load_profile(written).data["privileged"] is False


def test_import_notes_are_one_line_each(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Keys and values quoted in a note come from the Compose file: each note stays one line.
    compose = tmp_path / "compose.yaml"
    compose.write_text(
        "services:\n"
        "  web:\n"
        "    image: busybox\n"
        '    "x\\nweb: privileged: true": 1\n'
        '    container_name: "a\\rb"\n'
        '    healthcheck: {test: "true", "y\\u2028z": 1}\n'
        '    security_opt: ["label=\\u001b[31mred"]\n'
    )
    code, out, err = run_cli(["import", str(compose), "-o", str(tmp_path / "out")], capsys)
    assert code == 0, err
    notes = err.splitlines()
    assert len(notes) == 5, err  # the table's header, then a row for each note
    assert all(line.startswith("web       ") for line in notes[1:]), err
    assert not any(c in err for c in "\r\x1b\u2028")
    assert "web       x\\nweb: privileged: true   dropped" in err


def test_a_loss_is_always_one_line() -> None:
    loss = Loss("a\nb", "c\rd", "e\x1bf\u2028g")
    assert str(loss) == "a\\nb: c\\rd: e\\x1bf\\u2028g"
    assert loss.detail == "c\\rd: e\\x1bf\\u2028g"


def test_messages_about_a_compose_file_show_its_name_on_one_line(tmp_path: Path) -> None:
    compose = tmp_path / "bad\nname.yaml"
    compose.write_text("services:\n  web:\n    image: x\n    ports: 5\n")
    with pytest.raises(BadInput) as info:
        compose_import.import_compose(compose, output_dir=tmp_path / "out")
    assert "\n" not in str(info.value) and "bad\\nname.yaml:4" in str(info.value)


# -- kube export: names Kubernetes accepts -----------------------------------------------------
K8S_VERSION = "1.33.0"


def all_names(objects: list[dict]) -> list[tuple[str, str]]:
    """(what, name) of every name the export made: objects, volumes, claims, containers."""
    out = []
    for obj in objects:
        out.append((f"{obj['kind']} name", obj["metadata"]["name"]))
        spec = obj.get("spec", {})
        spec = spec.get("template", {}).get("spec", spec)
        for volume in spec.get("volumes", []) if isinstance(spec, dict) else []:
            out.append(("volume", volume["name"]))
            if "persistentVolumeClaim" in volume:
                out.append(("claimName", volume["persistentVolumeClaim"]["claimName"]))
        for container in spec.get("containers", []) if isinstance(spec, dict) else []:
            out.append(("container", container["name"]))
    return out


LABEL_FIELDS = {"volume", "container", "RuntimeClass name"}


def assert_valid_names(objects: list[dict]) -> None:
    for what, name in all_names(objects):
        if what in LABEL_FIELDS:
            assert kube_names.DNS_LABEL.match(name) and len(name) <= 63, (what, name)
        else:
            assert kube_names.DNS_SUBDOMAIN.match(name) and len(name) <= 253, (what, name)


ODD_VOLUMES = ["x.-y", "x..y", "X_Y", "x-y", "lead_", "a" * 70, "A" * 70, "v." + "b" * 300 + "-"]


@pytest.mark.parametrize("kind", kube.KINDS)
def test_every_generated_name_is_a_valid_unique_dns_name(tmp_path: Path, kind: str) -> None:
    volumes = ", ".join(f"'{v}:/m{i}'" for i, v in enumerate(ODD_VOLUMES))
    profile = load(tmp_path, f"name: my_app.v2\nimage: {IMAGE}\nvolumes: [{volumes}]\n")
    result = kube.export([profile], kind=kind)
    assert_valid_names(result.objects)
    for obj in result.objects:
        kubernetes_validate.validate(obj, K8S_VERSION, strict=True)
    claims = [o["metadata"]["name"] for o in result.objects if o["kind"] == "PersistentVolumeClaim"]
    assert len(claims) == len(set(claims)) == len(ODD_VOLUMES)  # one claim per Podman volume
    workload = result.objects[-1]
    spec = workload["spec"]["template"]["spec"] if kind == "deployment" else workload["spec"]
    names = [v["name"] for v in spec["volumes"]]
    assert len(names) == len(set(names))
    mounts = {m["mountPath"]: m["name"] for m in spec["containers"][0]["volumeMounts"]}
    by_name = {v["name"]: v["persistentVolumeClaim"]["claimName"] for v in spec["volumes"]}
    assert len({by_name[mounts[f"/m{i}"]] for i in range(len(ODD_VOLUMES))}) == len(ODD_VOLUMES)


def test_a_name_that_had_to_change_is_noted(tmp_path: Path) -> None:
    profile = load(tmp_path, f"name: my.app\nimage: {IMAGE}\nvolumes: ['x.-y:/a', 'X_Y:/b', 'x-y:/c']\n")
    result = kube.export([profile])
    notes = [str(loss) for loss in result.losses]
    assert "my.app: volumes[0]: volume 'x.-y' → claim 'x.y' (a DNS name)" in notes
    assert any(n.startswith("my.app: volumes[1]: volume 'X_Y' → claim 'x-y-2'") for n in notes), notes
    assert not any(n.startswith("my.app: volumes[2]: volume 'x-y' → claim") for n in notes)  # kept
    assert "my.app: name: 'my.app' → container 'my-app' (a container's name is a DNS label)" in notes


def test_one_volume_in_two_profiles_is_one_claim_and_two_volumes_two(tmp_path: Path) -> None:
    a = load(tmp_path, f"name: a\nimage: {IMAGE}\nvolumes: ['my_data:/d', 'shared:/s']\n", "a.yaml")
    b = load(tmp_path, f"name: b\nimage: {IMAGE}\nvolumes: ['my-data:/d', 'shared:/s']\n", "b.yaml")
    result = kube.export([a, b])
    claims = sorted(o["metadata"]["name"] for o in result.objects if o["kind"] == "PersistentVolumeClaim")
    assert claims == ["my-data", "my-data-2", "shared"]  # my-data is b's own name: it keeps it


@pytest.mark.parametrize(
    ("text", "label", "name"),
    [
        ("x.-y", False, "x.y"),
        ("x..y", False, "x.y"),
        ("-a.b-", False, "a.b"),
        ("A_B.c", False, "a-b.c"),
        ("a.b", True, "a-b"),
        ("___", True, "x"),
        ("a" * 70, True, "a" * 63),
        ("a" * 300, False, "a" * 253),
        ("a." * 200, False, ("a." * 127)[:253].rstrip(".")),
    ],
)
def test_dns_names(text: str, label: bool, name: str) -> None:
    assert kube_names.dns_name(text, label=label) == name
