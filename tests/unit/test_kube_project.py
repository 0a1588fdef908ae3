"""kube export of a project folder: Pods in dependency order, a Service per name, the waits."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from rcontainer.cli import kube as kube_cli
from rcontainer.convert import kube, kube_project
from rcontainer.profile.project import load_project
from tests.unit.profile_helpers import IMAGE
from tests.unit.test_kube import K8S_VERSION

EXAMPLE = Path(__file__).resolve().parents[2] / "profiles" / "project-example"
DIGEST = "sha256:" + "cd" * 32


def folder_of(tmp_path: Path, **files: str) -> Path:
    folder = tmp_path / "shop"
    folder.mkdir()
    for name, text in files.items():
        (folder / f"{name}.yaml").write_text(f"name: {name}\nimage: {IMAGE}\n" + textwrap.dedent(text))
    return folder


def export(folder: Path, kind: str = "pod", **kw) -> kube.KubeExport:
    return kube_project.export_project(load_project(folder, environ={}), kind=kind, **kw)


def of_kind(result: kube.KubeExport, kind: str) -> dict[str, dict]:
    return {o["metadata"]["name"]: o for o in result.objects if o["kind"] == kind}


def spec_of(obj: dict) -> dict:
    return obj["spec"]["template"]["spec"] if obj["kind"] == "Deployment" else obj["spec"]


SHOP = {
    "db": """
        healthcheck: {test: "wget -q -O- http://127.0.0.1:8080/", interval: 2s}
        network: {ports: ["127.0.0.1:18080:8080"]}
        networks: {default: {aliases: [database, data.base]}}
        """,
    "migrate": """
        command: [sh, -c, "true"]
        restart: "no"
        """,
    "cache": "",
    "web": """
        depends_on:
          db: {condition: service_healthy}
          cache: {condition: service_started}
          migrate: {condition: service_completed_successfully}
        """,
    "loner": "networks: {}\n",
    "offline": "network: {mode: none}\n",
}


@pytest.mark.parametrize("kind", kube.KINDS)
def test_a_project_exports_strict_valid_objects_dependencies_first(tmp_path, kind):
    folder = folder_of(tmp_path, **SHOP)
    result = export(folder, kind, digests=kube.DigestLookup({IMAGE: DIGEST}))
    for obj in yaml.safe_load_all(result.yaml()):
        kubernetes_validate.validate(obj, K8S_VERSION, strict=True)
    kinds = [o["kind"] for o in result.objects]
    workload = "Pod" if kind == "pod" else "Deployment"
    # Services first, then the workloads, each after what it depends on (kube play's order)
    assert kinds.index(workload) > max(i for i, k in enumerate(kinds) if k == "Service")
    order = [o["metadata"]["name"] for o in result.objects if o["kind"] == workload]
    assert order.index("web") > max(order.index("db"), order.index("cache"), order.index("migrate"))
    for obj in of_kind(result, workload).values():
        labels = obj["metadata"]["labels"]
        assert labels[kube_project.PROJECT_LABEL] == "shop"
        if kind == "deployment":
            selector = obj["spec"]["selector"]["matchLabels"]
            assert selector == {
                "app.kubernetes.io/name": obj["metadata"]["name"],
                kube_project.PROJECT_LABEL: "shop",
            }
            assert selector.items() <= obj["spec"]["template"]["metadata"]["labels"].items()


def test_every_name_on_the_project_network_gets_a_headless_service_selecting_its_pod(tmp_path):
    result = export(folder_of(tmp_path, **SHOP))
    services = of_kind(result, "Service")
    # loner left the project's network, offline has none: no name to resolve
    assert set(services) == {"db", "database", "data-base", "migrate", "cache", "web"}
    pods = of_kind(result, "Pod")
    for name, svc in services.items():
        assert svc["spec"]["clusterIP"] == "None"  # every port answers by name, as on the network
        target = pods["db" if name in ("database", "data-base") else name]
        assert svc["spec"]["selector"].items() <= target["metadata"]["labels"].items()
        for other in pods.values():
            if other is not target:
                assert not svc["spec"]["selector"].items() <= other["metadata"]["labels"].items()
    assert services["db"]["spec"]["ports"] == [
        {"name": "tcp-8080", "port": 8080, "targetPort": 8080, "protocol": "TCP"}
    ]
    assert "ports" not in services["web"]["spec"]
    lines = [str(loss) for loss in result.losses]
    assert "db: networks.aliases: 'data.base' → Service 'data-base' (a DNS-1035 label" in "\n".join(lines)
    assert any(line.startswith("loner: networks: kept apart from the project's network") for line in lines)


def test_dependencies_become_waits_for_their_names_and_readiness(tmp_path):
    result = export(folder_of(tmp_path, **SHOP), wait_image="registry.example/busybox:1")
    pods = of_kind(result, "Pod")
    waits = spec_of(pods["web"])["initContainers"]
    assert [w["name"] for w in waits] == ["wait-for-cache", "wait-for-db"]  # not migrate: see below
    for wait, name in zip(waits, ["cache", "db"], strict=True):
        assert wait["image"] == "registry.example/busybox:1"
        assert wait["command"][:2] == ["sh", "-c"] and wait["command"][-1] == name
        assert "nslookup" in wait["command"][2]
    assert list(spec_of(pods["web"]))[0] == "initContainers"
    # service_healthy: the dependency is ready (its Service lists it) only once its check passes
    db = spec_of(pods["db"])["containers"][0]
    assert db["readinessProbe"] == db["livenessProbe"]
    assert "readinessProbe" not in spec_of(pods["cache"])["containers"][0]
    assert "initContainers" not in spec_of(pods["db"])
    lines = [str(loss) for loss in result.losses]
    assert any(
        line.startswith("web: depends_on.migrate: service_completed_successfully dropped") for line in lines
    )


def test_the_default_wait_image_is_the_one_the_command_names():
    assert kube_cli.WAIT_IMAGE == kube_project.WAIT_IMAGE


def test_a_name_no_service_can_take_is_renamed_and_said(tmp_path):
    folder = folder_of(tmp_path, **{"1st": "", "web": "depends_on: ['1st']\n"})
    result = export(folder)
    assert set(of_kind(result, "Service")) == {"s-1st", "web"}
    (wait,) = spec_of(of_kind(result, "Pod")["web"])["initContainers"]
    assert wait["command"][-1] == "s-1st"
    assert "1st: name: '1st' → Service 's-1st'" in "\n".join(str(loss) for loss in result.losses)


def test_an_alias_never_takes_another_profiles_name(tmp_path):
    folder = folder_of(tmp_path, a="networks: {default: {aliases: [b, c]}}\n", b="")
    result = export(folder)
    services = of_kind(result, "Service")
    assert services["b"]["spec"]["selector"]["app.kubernetes.io/name"] == "b"
    assert services["c"]["spec"]["selector"]["app.kubernetes.io/name"] == "a"
    assert "a: networks.aliases: 'b': no Service: 'b' names b already" in [str(x) for x in result.losses]


def test_the_example_project_exports_and_validates():
    result = export(EXAMPLE)
    for obj in yaml.safe_load_all(result.yaml()):
        kubernetes_validate.validate(obj, K8S_VERSION, strict=True)
    assert set(of_kind(result, "Service")) == {"db", "database", "web"}
    assert [o["metadata"]["name"] for o in result.objects if o["kind"] == "Pod"] == ["db", "web"]


def test_the_cli_takes_a_folder_alone(tmp_path):
    folder = folder_of(tmp_path, **{"db": "", "web": "depends_on: [db]\n"})

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "rcontainer", "kube", "export", *args],
            capture_output=True,
            text=True,
            timeout=60,
        )

    ok = run(str(folder), "--no-digests", "-p", "other")
    assert ok.returncode == 0, ok.stderr
    docs = list(yaml.safe_load_all(ok.stdout))
    assert {d["metadata"]["labels"][kube_project.PROJECT_LABEL] for d in docs if d["kind"] == "Pod"} == {
        "other"
    }
    mixed = run(str(folder), str(folder / "db.yaml"))
    assert mixed.returncode == 2 and "export it alone" in mixed.stderr
    alone = run(str(folder / "db.yaml"), "--wait-image", "x")
    assert alone.returncode == 2 and "go with a project FOLDER" in alone.stderr
