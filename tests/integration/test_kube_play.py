"""kube export, round-tripped through Podman's own ``kube play`` on the rootless socket.

The exported YAML is POSTed to ``/play/kube`` (podman-py 5.8 has no kube API of its own) and
the pod Podman makes from it is inspected: its container's env, command and ports must be
what the profile says. Every pod, secret and volume made here is removed in a finalizer.
"""

from __future__ import annotations

import base64
import contextlib
import json
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
import yaml

from rcontainer.backends.podman.api import LibpodClient
from rcontainer.backends.podman.service import find_endpoint
from rcontainer.convert import kube
from rcontainer.profile import load_profile
from tests import harness

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "profiles").glob("*.yaml"))


@pytest.fixture
def api(podman_env):
    # podman-py drives kube play here: the test checks what Podman made, not rcontainer's client
    with LibpodClient(find_endpoint()).podman_py() as c:
        yield c


def podman_version(api) -> tuple[int, ...]:
    text = api.version()["Version"]
    return tuple(int(x) for x in text.split("-")[0].split(".")[:2])


@pytest.fixture
def player(api):
    """Plays Kubernetes YAML on the rootless service; removes what it made afterwards."""
    pods: list[str] = []
    secrets: list[str] = []
    volumes: list[str] = []

    def play(objects: list[dict], network: str | None = None) -> dict:
        objects = [dict(o) for o in objects]
        for obj in objects:
            if obj["kind"] == "Pod":
                pods.append(obj["metadata"]["name"])
            elif obj["kind"] == "PersistentVolumeClaim":
                volumes.append(obj["metadata"]["name"])
            elif obj["kind"] == "Secret":
                secrets.append(obj["metadata"]["name"])
        # leftovers of a run killed halfway would make the play fail ("pod already exists")
        for name in pods:
            with contextlib.suppress(Exception):
                api.pods.get(name).remove(force=True)
        for name in secrets:
            with contextlib.suppress(Exception):
                api.secrets.get(name).remove()
        if podman_version(api) < (4, 4):
            # Podman 4.3 stores a played Secret as YAML but reads secretKeyRef values as JSON
            # (upstream issue 16269, fixed in 4.4): give it the JSON form it reads instead.
            for obj in [o for o in objects if o["kind"] == "Secret"]:
                api.secrets.create(obj["metadata"]["name"], json.dumps(obj["data"]).encode())
                objects.remove(obj)
        text = yaml.safe_dump_all(objects, sort_keys=False)
        response = api.api.post(
            "/play/kube",
            params={"network": network} if network else None,
            data=text,
            headers={"content-type": "application/x-yaml"},
        )
        assert response.status_code == 200, response.text
        return response.json()

    yield play
    for name in pods:
        with contextlib.suppress(Exception):
            api.pods.get(name).remove(force=True)
    for name in secrets:
        with contextlib.suppress(Exception):
            api.secrets.get(name).remove()
    for name in volumes:
        with contextlib.suppress(Exception):
            api.volumes.get(name).remove(force=True)


def container_of(api, pod: str, container: str):
    """Podman names a played pod's container POD-CONTAINER."""
    return api.containers.get(f"{pod}-{container}")


def env_of(attrs: dict) -> dict[str, str]:
    return dict(item.split("=", 1) for item in attrs["Config"]["Env"])


def wait_for_http(url: str, timeout: float = 20) -> str:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                return r.read().decode()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_exported_pod_runs_under_kube_play_as_the_profile_says(api, player, busybox_image, tmp_path):
    name = f"kube-rt-{uuid.uuid4().hex[:6]}"
    port = harness.free_port()
    path = tmp_path / f"{name}.yaml"
    path.write_text(
        f"name: {name}\n"
        f"image: {busybox_image}\n"
        'command: ["sh", "-c", "echo serving; exec httpd -f -p 8080 -h /www"]\n'
        "env:\n"
        "  GREETING: hello kube\n"
        "  TOKEN: {value: s3cret-value, secret: true}\n"
        "network:\n"
        "  mode: private\n"
        f'  ports: ["127.0.0.1:{port}:8080"]\n'
    )
    profile = load_profile(path)
    result = kube.export([profile], digests=kube.lookup_digests([busybox_image]))
    (pod_obj,) = [o for o in result.objects if o["kind"] == "Pod"]
    image = pod_obj["spec"]["containers"][0]["image"]
    assert image.startswith("localhost/rcontainer/busybox@sha256:")  # pinned by the socket's digest
    assert "s3cret-value" not in yaml.safe_dump(pod_obj)

    player(result.objects)

    c = container_of(api, name, name)
    attrs = c.attrs
    assert attrs["State"]["Running"], attrs["State"]
    env = env_of(attrs)
    assert env["GREETING"] == "hello kube"
    assert env["TOKEN"] == "s3cret-value"  # through the Secret and secretKeyRef
    assert attrs["Config"]["Cmd"] == profile.data["command"]
    assert attrs["ImageName"] == image
    bindings = api.pods.get(name).attrs["InfraConfig"]["PortBindings"]
    assert bindings == {"8080/tcp": [{"HostIp": "127.0.0.1", "HostPort": str(port)}]}
    assert "hello from rcontainer" in wait_for_http(f"http://127.0.0.1:{port}/index.html")


def _playable(profile) -> bool:
    """Podman-family profiles on the busybox image (extends included) are played."""
    from rcontainer import runtimes

    family = runtimes.get(profile.data["runtime"]).family
    return profile.data["image"] == harness.BUSYBOX_IMAGE and family == runtimes.PODMAN


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_example_exports_and_podman_examples_kube_play(
    path, api, player, busybox_image, tmp_path, monkeypatch
):
    monkeypatch.setenv("HOME", str(tmp_path))  # devshell binds ~/src: give it one of its own
    (tmp_path / "src").mkdir()
    profile = load_profile(path)
    result = kube.export([profile], digests=kube.lookup_digests([busybox_image]))
    pod = next(o for o in result.objects if o["kind"] == "Pod")
    if profile.data.get("build"):
        # built.yaml: its image is built here (rcontainer build), exported by its tag, not played
        assert pod["spec"]["containers"][0]["image"].startswith("localhost/rcontainer/built")
        return
    if not _playable(profile):
        # the bwrap class has no cluster equivalent: exported as a plain Pod, checked, not played
        assert "runtimeClassName" not in pod["spec"]
        assert any("runtime" in line and "bwrap" in line for line in map(str, result.losses))
        return
    spec = pod["spec"]
    assert spec["containers"][0]["imagePullPolicy"] == "IfNotPresent"  # localhost/ images are never pulled
    for port in spec["containers"][0].get("ports", []):
        port["hostPort"] = harness.free_port()  # the example's fixed port may be taken on a shared host
    host = api.info()["host"]
    if host["cgroupVersion"] == "v1" and spec["containers"][0].get("resources"):
        # rootless containers get no cgroup on a cgroup-v1 host: runc refuses any limit
        # ("cannot set memory limit"); the limits themselves are checked by the unit tests.
        del spec["containers"][0]["resources"]
    player(result.objects)
    c = container_of(api, profile.name, spec["containers"][0]["name"])
    state = c.attrs["State"]
    assert state["Running"] or (state["Status"] == "exited" and state["ExitCode"] == 0), state
    assert c.attrs["Config"]["Cmd"] == profile.data["command"]
    env = env_of(c.attrs)
    for key, value in profile.data["env"].items():
        assert env[key] == value


def test_cli_prints_yaml_on_stdout_and_losses_on_stderr(rc, podman_env, busybox_image):
    web = next(p for p in EXAMPLES if p.stem == "web")
    bwrap = next(p for p in EXAMPLES if p.stem == "runtime-bwrap")
    result = rc("kube", "export", str(web), str(bwrap))
    assert result.code == 0, result.err
    docs = list(yaml.safe_load_all(result.out))
    assert [d["kind"] for d in docs] == ["Pod", "Pod"]
    assert docs[0]["spec"]["containers"][0]["image"].startswith("localhost/rcontainer/busybox@sha256:")
    lines = result.err.splitlines()
    assert "runtime-bwrap: runtime: bwrap → default runtime (bubblewrap has no cluster equivalent)" in lines
    assert any(line.startswith("web: resources.pids: limit 64 dropped") for line in lines)
    assert not any(": image:" in line for line in lines)  # pinned: nothing lost
    for line in lines:
        assert line.split(": ", 2)[0] in ("web", "runtime-bwrap"), line


def test_cli_without_podman_keeps_tags_and_says_so(rc, tmp_path):
    app = next(p for p in EXAMPLES if p.stem == "app")
    out = tmp_path / "app.k8s.yaml"
    result = rc(
        "kube",
        "export",
        str(app),
        "--kind",
        "deployment",
        "-o",
        str(out),
        env={"CONTAINER_HOST": f"unix://{tmp_path}/none.sock", "APP_TOKEN": "tok-123"},
    )
    assert result.code == 0, result.err
    assert result.out == ""
    docs = list(yaml.safe_load_all(out.read_text()))
    assert [d["kind"] for d in docs] == ["Secret", "Deployment"]
    assert base64.b64decode(docs[0]["data"]["APP_TOKEN"]) == b"tok-123"
    assert "tok-123" not in yaml.safe_dump(docs[1])
    assert (
        docs[1]["spec"]["template"]["spec"]["containers"][0]["image"] == "localhost/rcontainer/busybox:latest"
    )
    assert (
        "app: image: kept the tag localhost/rcontainer/busybox:latest (not pinned by digest: no Podman"
        in (result.err)
    )


def logs_of(api, name: str) -> str:
    return "".join(
        line.decode() if isinstance(line, bytes) else line
        for line in api.containers.get(name).logs(stdout=True, stderr=True)
    )


def test_an_exported_project_plays_with_names_resolving_between_its_pods(
    api, player, busybox_image, tmp_path
):
    # Issue 16, item 5: web reaches db by its profile's name under `podman kube play`, after an
    # initContainer waited for that name, as in the project's network and in a cluster.
    tag = uuid.uuid4().hex[:6]
    folder = tmp_path / f"kp{tag}"
    folder.mkdir()
    db, web = f"db{tag}", f"web{tag}"
    (folder / "db.yaml").write_text(
        f"name: {db}\nimage: {busybox_image}\n"
        "command: [sh, -c, 'mkdir -p /w && echo rows-from-db > /w/index.html && exec httpd -f -p 8080 -h /w']\n"
    )
    # bookworm's static busybox wget segfaults with -T: timeout(1) bounds each try instead
    (folder / "web.yaml").write_text(
        f"name: {web}\nimage: {busybox_image}\n"
        f"depends_on: [{db}]\n"
        "command: [sh, -c, 'for i in 1 2 3 4 5 6 7 8 9 10; do"
        f" timeout 5 wget -q -O- http://{db}:8080/ && break; sleep 1; done; exec sleep 1000']\n"
    )
    from rcontainer.convert.kube_project import export_project
    from rcontainer.profile.project import load_project

    result = export_project(
        load_project(folder), digests=kube.lookup_digests([busybox_image]), wait_image=busybox_image
    )
    pods = [o["metadata"]["name"] for o in result.objects if o["kind"] == "Pod"]
    assert pods == [db, web]  # dependencies first: kube play starts pods in this order
    # a network of the test's own with DNS (the user's podman-default-kube-network may predate
    # the DNS plugin here); kube play's default network is such a bridge when made today
    network = f"rc-kp{tag}"
    harness.podman("network", "create", network)
    try:
        player(result.objects, network=network)
        deadline = time.monotonic() + 60
        while "rows-from-db" not in (out := logs_of(api, f"{web}-{web}")):
            assert time.monotonic() < deadline, out
            time.sleep(0.5)
        assert api.pods.get(web).attrs["State"] == "Running"
    finally:
        for pod in pods:
            with contextlib.suppress(Exception):
                api.pods.get(pod).remove(force=True)
        harness.podman("network", "rm", "-f", network, check=False)
