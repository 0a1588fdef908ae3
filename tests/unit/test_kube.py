"""kube export: the Kubernetes objects made from profiles, and the loss report."""

from __future__ import annotations

import base64
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

from rcontainer.convert import kube, kube_names
from rcontainer.profile import load_profile
from tests.unit.profile_helpers import IMAGE, load

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "profiles").glob("*.yaml"))
DIGEST = "sha256:" + "ab" * 32


def example(path: Path):
    return load_profile(path, environ={})


def by_kind(objects: list[dict], kind: str) -> list[dict]:
    return [o for o in objects if o["kind"] == kind]


def pod_spec(obj: dict) -> dict:
    return obj["spec"]["template"]["spec"] if obj["kind"] == "Deployment" else obj["spec"]


def losses(result: kube.KubeExport) -> list[str]:
    return [str(loss) for loss in result.losses]


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
@pytest.mark.parametrize("kind", kube.KINDS)
def test_every_example_exports_well_formed_objects(path: Path, kind: str) -> None:
    profile = example(path)
    result = kube.export([profile], kind=kind)
    docs = list(yaml.safe_load_all(result.yaml()))
    assert docs == result.objects  # the YAML says what the objects say
    for obj in docs:
        assert {"apiVersion", "kind", "metadata"} <= set(obj)
        assert kube_names.DNS_SUBDOMAIN.match(obj["metadata"]["name"])
    (workload,) = by_kind(docs, "Pod" if kind == "pod" else "Deployment")
    assert workload["apiVersion"] == ("v1" if kind == "pod" else "apps/v1")
    assert workload["metadata"]["name"] == profile.name
    if kind == "deployment":
        assert workload["spec"]["replicas"] == 1
        selector = workload["spec"]["selector"]["matchLabels"]
        assert selector.items() <= workload["spec"]["template"]["metadata"]["labels"].items()
    spec = pod_spec(workload)
    (container,) = spec["containers"]
    assert container["name"] and container["image"].startswith(
        "localhost/rcontainer/built" if profile.data.get("build") else "localhost/rcontainer/busybox"
    )
    assert container["imagePullPolicy"] == "IfNotPresent"  # a localhost/ image is never pulled
    assert container.get("args") == profile.data["command"]  # built.yaml: the Containerfile's CMD
    assert spec["restartPolicy"] in ("Always", "OnFailure", "Never")
    if kind == "deployment":
        assert spec["restartPolicy"] == "Always"
    for mount in container.get("volumeMounts", []):
        assert mount["name"] in {v["name"] for v in spec["volumes"]}
    for env in container.get("env", []):
        assert ("value" in env) != ("valueFrom" in env)
    for label, value in workload["metadata"]["labels"].items():
        assert kube_names.valid_key(label) and kube_names.LABEL_NAME.match(value) and len(value) <= 63


def test_secret_env_goes_into_a_secret_never_into_the_pod() -> None:
    profile = example(next(p for p in EXAMPLES if p.stem == "app"))
    result = kube.export([profile])
    text = result.yaml()
    (secret,) = by_kind(result.objects, "Secret")
    assert secret["apiVersion"] == "v1" and secret["metadata"]["name"] == "app-env"
    assert base64.b64decode(secret["data"]["APP_TOKEN"]).decode() == "not-a-real-token"
    (pod,) = by_kind(result.objects, "Pod")
    env = {e["name"]: e for e in pod["spec"]["containers"][0]["env"]}
    assert env["APP_TOKEN"] == {
        "name": "APP_TOKEN",
        "valueFrom": {"secretKeyRef": {"name": "app-env", "key": "APP_TOKEN"}},
    }
    assert env["LOG_LEVEL"] == {"name": "LOG_LEVEL", "value": "debug"}
    assert "not-a-real-token" not in yaml.safe_dump(pod)
    assert "not-a-real-token" not in text  # only its base64 form, in the Secret


def test_profiles_without_secrets_make_no_secret() -> None:
    result = kube.export([example(p) for p in EXAMPLES if p.stem != "app"])
    assert by_kind(result.objects, "Secret") == []


@pytest.mark.parametrize(
    ("runtime", "handler"), [("gvisor", "runsc"), ("kata", "kata"), ("runc", "runc"), ("crun", "crun")]
)
def test_runtime_classes_become_runtimeclass_objects(runtime: str, handler: str) -> None:
    result = kube.export([example(next(p for p in EXAMPLES if p.stem == f"runtime-{runtime}"))])
    (rc,) = by_kind(result.objects, "RuntimeClass")
    assert rc == {
        "apiVersion": "node.k8s.io/v1",
        "kind": "RuntimeClass",
        "metadata": {"name": runtime},
        "handler": handler,
    }
    (pod,) = by_kind(result.objects, "Pod")
    assert pod["spec"]["runtimeClassName"] == runtime
    assert result.objects.index(rc) < result.objects.index(pod)  # dependencies first


def test_default_runtime_names_no_class(tmp_path: Path) -> None:
    result = kube.export([load(tmp_path, f"image: {IMAGE}\n")])
    assert by_kind(result.objects, "RuntimeClass") == []
    assert "runtimeClassName" not in result.objects[0]["spec"]


def test_bwrap_has_no_cluster_equivalent_and_says_so() -> None:
    result = kube.export([example(next(p for p in EXAMPLES if p.stem == "runtime-bwrap"))])
    assert by_kind(result.objects, "RuntimeClass") == []
    assert "runtimeClassName" not in result.objects[0]["spec"]
    assert "runtime-bwrap: runtime: bwrap → default runtime (bubblewrap has no cluster equivalent)" in losses(
        result
    )


def test_pids_limit_is_reported_and_memory_kept() -> None:
    result = kube.export([example(next(p for p in EXAMPLES if p.stem == "web"))])
    container = result.objects[0]["spec"]["containers"][0]
    assert container["resources"] == {"limits": {"memory": "64Mi"}}
    assert any(line.startswith("web: resources.pids: limit 64 dropped") for line in losses(result))


def test_one_runtime_class_for_many_profiles() -> None:
    profiles = [example(p) for p in EXAMPLES if p.stem == "runtime-runc"]
    other = load_profile(profiles[0].path, environ={})
    other.data["name"] = other.name = "runc-two"
    result = kube.export([*profiles, other])
    assert len(by_kind(result.objects, "RuntimeClass")) == 1
    assert len(by_kind(result.objects, "Pod")) == 2


def test_full_translation_of_every_field(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    profile = load(
        tmp_path,
        f"""
        name: full
        image: {IMAGE}
        entrypoint: ["/bin/sh", "-c"]
        command: ["echo hi; sleep 1000"]
        workdir: /srv
        user: "1000:100"
        env: {{PLAIN: one, PASS: {{value: s3cret, secret: true}}}}
        network:
          mode: private
          ports: ["127.0.0.1:8080:80", "5353:53/udp"]
          hostname: box
          dns: [1.1.1.1]
          add_hosts: {{db.local: 10.0.0.5, cache.local: 10.0.0.5, other: 10.0.0.6}}
        volumes:
          - ./data:/data:ro
          - cache:/cache
          - {{type: tmpfs, target: /tmp, size: 256m, mode: 1777}}
        resources: {{memory: 1g, cpus: 1.5, pids: 10}}
        ulimits: {{nofile: 1024}}
        healthcheck: {{test: "wget -q localhost", interval: 2.5s, timeout: 1s, retries: 2, start_period: 5s}}
        restart: unless-stopped
        stop_signal: SIGINT
        stop_timeout: 7
        read_only: true
        cap_add: [NET_ADMIN]
        cap_drop: [ALL]
        labels: {{team: "data platform", ok: fine}}
        annotations: {{note: "free text: anything"}}
        tty: true
        """,
    )
    result = kube.export([profile], digests=kube.DigestLookup({IMAGE: DIGEST}))
    kinds = [o["kind"] for o in result.objects]
    assert kinds == ["PersistentVolumeClaim", "Secret", "Pod"]
    pvc, secret, pod = result.objects
    assert pvc["metadata"]["name"] == "cache"
    assert pvc["spec"]["accessModes"] == ["ReadWriteOnce"]
    spec = pod["spec"]
    c = spec["containers"][0]
    assert c["image"] == f"localhost/rcontainer/busybox@{DIGEST}"
    assert c["command"] == ["/bin/sh", "-c"] and c["args"] == ["echo hi; sleep 1000"]
    assert c["workingDir"] == "/srv"
    assert c["env"][0] == {"name": "PLAIN", "value": "one"}
    assert c["env"][1]["valueFrom"]["secretKeyRef"] == {"name": "full-env", "key": "PASS"}
    assert c["ports"] == [
        {"containerPort": 80, "protocol": "TCP", "hostPort": 8080, "hostIP": "127.0.0.1"},
        {"containerPort": 53, "protocol": "UDP", "hostPort": 5353},
    ]
    assert spec["hostname"] == "box"
    assert spec["dnsPolicy"] == "None" and spec["dnsConfig"] == {"nameservers": ["1.1.1.1"]}
    assert spec["hostAliases"] == [
        {"ip": "10.0.0.5", "hostnames": ["db.local", "cache.local"]},
        {"ip": "10.0.0.6", "hostnames": ["other"]},
    ]
    volumes = {v["name"]: v for v in spec["volumes"]}
    mounts = {m["mountPath"]: m for m in c["volumeMounts"]}
    assert volumes[mounts["/data"]["name"]]["hostPath"] == {"path": str(tmp_path / "data")}
    assert mounts["/data"]["readOnly"] is True
    assert volumes[mounts["/cache"]["name"]]["persistentVolumeClaim"] == {"claimName": "cache"}
    assert volumes[mounts["/tmp"]["name"]]["emptyDir"] == {"medium": "Memory", "sizeLimit": "256Mi"}
    assert c["resources"] == {"limits": {"memory": "1Gi", "cpu": "1500m"}}
    assert c["livenessProbe"] == {
        "exec": {"command": ["/bin/sh", "-c", "wget -q localhost"]},
        "periodSeconds": 3,
        "timeoutSeconds": 1,
        "initialDelaySeconds": 5,
        "failureThreshold": 2,
    }
    assert c["securityContext"] == {
        "runAsUser": 1000,
        "runAsGroup": 100,
        "capabilities": {"add": ["NET_ADMIN"], "drop": ["ALL"]},
        "readOnlyRootFilesystem": True,
        "allowPrivilegeEscalation": False,
    }
    assert c["tty"] is True and c["stdin"] is True
    assert spec["restartPolicy"] == "Always"
    assert spec["terminationGracePeriodSeconds"] == 7
    assert spec["hostUsers"] is False
    assert pod["metadata"]["labels"]["team"] == "data-platform"
    assert pod["metadata"]["annotations"] == {"note": "free text: anything", "team": "data platform"}
    lost = losses(result)
    for expected in (
        "full: resources.pids: limit 10 dropped",
        "full: ulimits: nofile dropped",
        "full: stop_signal: SIGINT dropped",
        "full: volumes[2].mode: 1777 dropped",
        "full: healthcheck.interval: 2.5s → 3s",
        "full: labels['team']: value 'data platform' → 'data-platform'",
        "full: volumes[1]: volume 'cache' → a claim of 1Gi",
    ):
        assert any(line.startswith(expected) for line in lost), (expected, lost)
    assert not any(line.startswith("full: image:") for line in lost)  # pinned: nothing lost


def test_unpinned_image_is_reported_with_the_reason(tmp_path: Path) -> None:
    profile = load(tmp_path, f"image: {IMAGE}\n")
    result = kube.export([profile], digests=kube.DigestLookup(unavailable="no Podman service answered"))
    assert result.objects[0]["spec"]["containers"][0]["image"] == IMAGE
    assert f"p: image: kept the tag {IMAGE} (not pinned by digest: no Podman service answered)" in losses(
        result
    )
    result = kube.export([profile], digests=kube.DigestLookup())
    assert any("not in local Podman storage" in line for line in losses(result))


@pytest.mark.parametrize(
    ("restart", "pod", "lost"),
    [
        ("no", "Never", None),
        ("on-failure", "OnFailure", None),
        ("on-failure:3", "OnFailure", "retries without a maximum count"),
        ("always", "Always", None),
        ("unless-stopped", "Always", None),
    ],
)
def test_restart_policies(tmp_path: Path, restart: str, pod: str, lost: str | None) -> None:
    profile = load(tmp_path, f"image: {IMAGE}\nrestart: {restart}\n")
    result = kube.export([profile])
    assert result.objects[0]["spec"]["restartPolicy"] == pod
    restart_losses = [line for line in losses(result) if ": restart:" in line]
    assert (lost is None and not restart_losses) or (lost and lost in restart_losses[0])
    dep = kube.export([profile], kind="deployment")
    assert pod_spec(dep.objects[0])["restartPolicy"] == "Always"
    assert any(": restart:" in line for line in losses(dep)) == (pod != "Always")


@pytest.mark.parametrize(
    ("userns", "host_users", "lost"),
    [("''", False, None), ("auto", False, None), ("keep-id", False, "keep-id"), ("host", None, "host")],
)
def test_user_namespaces(tmp_path: Path, userns: str, host_users: bool | None, lost: str | None) -> None:
    result = kube.export([load(tmp_path, f"image: {IMAGE}\nuserns: {userns}\n")])
    assert result.objects[0]["spec"].get("hostUsers") is host_users
    userns_losses = [line for line in losses(result) if ": userns:" in line]
    assert (lost is None and not userns_losses) or (lost and lost in userns_losses[0])


def test_host_network(tmp_path: Path) -> None:
    profile = load(tmp_path, f"image: {IMAGE}\nnetwork: host\n")
    spec = kube.export([profile]).objects[0]["spec"]
    assert spec["hostNetwork"] is True
    assert "hostUsers" not in spec  # Kubernetes refuses hostUsers: false with hostNetwork


@pytest.mark.parametrize("mode", ["pasta", "slirp4netns"])
def test_a_named_rootless_network_becomes_the_pod_network_and_says_so(tmp_path: Path, mode: str) -> None:
    result = kube.export([load(tmp_path, f"image: {IMAGE}\nnetwork: {mode}\n")])
    assert any(f"network.mode: {mode} → the cluster's pod network" in line for line in losses(result))


def test_privileged_drops_allow_privilege_escalation(tmp_path: Path) -> None:
    result = kube.export([load(tmp_path, f"image: {IMAGE}\nprivileged: true\n")])
    sc = result.objects[0]["spec"]["containers"][0]["securityContext"]
    assert sc == {"privileged": True}
    assert any("no_new_privileges: dropped" in line for line in losses(result))


def test_named_user_and_odd_names(tmp_path: Path) -> None:
    profile = load(tmp_path, f"name: my_app\nimage: {IMAGE}\nuser: nobody\nlabels: {{'a/b/c': v}}\n")
    result = kube.export([profile])
    pod = result.objects[0]
    assert pod["metadata"]["name"] == "my-app"
    assert "securityContext" in pod["spec"]["containers"][0]
    assert "runAsUser" not in pod["spec"]["containers"][0]["securityContext"]
    lost = losses(result)
    assert "my_app: name: 'my_app' → 'my-app' (Kubernetes names are DNS names)" in lost
    assert any(line.startswith("my_app: user: 'nobody' dropped") for line in lost)
    assert any(line.startswith("my_app: labels['a/b/c']: dropped") for line in lost)


def test_build_profiles_export_the_tag_rcontainer_builds(tmp_path: Path) -> None:
    (tmp_path / "ctx").mkdir()
    result = kube.export([load(tmp_path, "name: built\nbuild: ./ctx\n")])
    assert result.objects[0]["spec"]["containers"][0]["image"] == "localhost/rcontainer/built:latest"
    assert any(line.startswith("built: build: exported as image") for line in losses(result))


def test_two_profiles_with_one_name_are_refused(tmp_path: Path) -> None:
    from rcontainer.errors import BadInput

    a = load(tmp_path, f"name: a_b\nimage: {IMAGE}\n", "one.yaml")
    b = load(tmp_path, f"name: a-b\nimage: {IMAGE}\n", "two.yaml")
    with pytest.raises(BadInput, match="both export as pod 'a-b'"):
        kube.export([a, b])


@pytest.mark.parametrize(("n", "text"), [(67108864, "64Mi"), (1 << 30, "1Gi"), (1000, "1000"), (2048, "2Ki")])
def test_quantities(n: int, text: str) -> None:
    assert kube_names.quantity(n) == text


def test_without_podman_digests_are_not_looked_up_and_nothing_fails(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CONTAINER_HOST", f"unix://{tmp_path}/nothing.sock")
    lookup = kube.lookup_digests([IMAGE])
    assert lookup.digests == {} and "no Podman service answered" in lookup.unavailable


# -- validation against the Kubernetes schemas ------------------------------------------------

K8S_VERSION = "1.33.0"  # hostUsers is beta and on by default from 1.33 (KEP-127)


@pytest.mark.parametrize("kind", kube.KINDS)
def test_examples_pass_kubernetes_validate_strict(kind: str, tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    extra = load(
        tmp_path,
        f"""
        name: everything
        image: {IMAGE}
        env: {{PASS: {{value: x, secret: true}}}}
        network: {{ports: ["127.0.0.1:8080:80"], dns: [1.1.1.1], add_hosts: {{a: 10.0.0.1}}, hostname: h}}
        volumes: ["./data:/data:ro", "cache:/cache", {{type: tmpfs, target: /tmp, size: 1m}}]
        resources: {{memory: 1g, cpus: 0.5}}
        healthcheck: {{test: ["CMD", "true"]}}
        user: "1000"
        cap_add: [NET_ADMIN]
        """,
    )
    profiles = [example(p) for p in EXAMPLES] + [extra]
    result = kube.export(profiles, kind=kind, digests=kube.DigestLookup({IMAGE: DIGEST}))
    for obj in yaml.safe_load_all(result.yaml()):
        kubernetes_validate.validate(obj, K8S_VERSION, strict=True)
