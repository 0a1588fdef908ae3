"""Kubernetes export: profiles as Pods (or Deployments) and the objects they need.

    result = export(profiles, kind="pod", digests=lookup_digests(refs))
    result.yaml()      # multi-document YAML, dependencies first
    result.losses      # every field dropped or approximated, one Loss each

A profile describes one container on one machine; Kubernetes describes a pod on some node
of a cluster. Most fields map one to one. The rest are either approximated (a healthcheck
becomes a livenessProbe, which restarts instead of only marking unhealthy) or dropped (a
pids limit has no field): each such field is reported, never silently lost.

Objects made besides the workload:

- a ``v1 Secret`` ``NAME-env`` holding the profile's secret env values (base64 ``data``);
  the container refers to them with ``valueFrom.secretKeyRef``, so no secret value appears
  in the Pod itself;
- a ``PersistentVolumeClaim`` per named volume (``claimName`` = the volume's name);
- a ``node.k8s.io/v1 RuntimeClass`` per runtime class used, whose ``handler`` is the class's
  ``kube_handler``.

The core never prints; yaml and podman-py are imported only where needed.
"""

from __future__ import annotations

import base64
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from rcontainer import runtimes
from rcontainer.errors import BadInput, RcError
from rcontainer.profile import Profile

KINDS = ("pod", "deployment")
NAME_LABEL = "app.kubernetes.io/name"
# The size a PersistentVolumeClaim asks for: a Podman volume has no size, a claim must have one.
PVC_SIZE = "1Gi"

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL_NAME = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$")  # also label values
_NUMERIC_USER = re.compile(r"^([0-9]+)(?::([0-9]+))?$")


@dataclass(frozen=True)
class Loss:
    """One field of one profile that Kubernetes cannot express as rcontainer does."""

    profile: str
    field: str
    what: str

    def __str__(self) -> str:
        return f"{self.profile}: {self.field}: {self.what}"


@dataclass
class DigestLookup:
    """Local image digests (``ref -> sha256:...``), and why none were looked up, if so."""

    digests: dict[str, str] = field(default_factory=dict)
    unavailable: str | None = None  # e.g. "no Podman service answered"


@dataclass
class KubeExport:
    objects: list[dict[str, Any]]
    losses: list[Loss]

    def yaml(self) -> str:
        """The objects as one multi-document YAML text."""
        import yaml

        dumper = getattr(yaml, "CSafeDumper", None) or yaml.SafeDumper
        return yaml.dump_all(
            self.objects, Dumper=dumper, sort_keys=False, default_flow_style=False, explicit_start=True
        )


# ---------------------------------------------------------------------------------------------
# Names and values Kubernetes accepts


def dns_name(text: str, *, label: bool = False) -> str:
    """``text`` made a DNS-1123 label (``label``) or subdomain: lowercase, ``-`` for the rest."""
    out = re.sub(r"[^a-z0-9.-]" if not label else r"[^a-z0-9-]", "-", text.lower())
    out = re.sub(r"-{2,}", "-", out)
    out = out[: 63 if label else 253].strip("-.")
    return out or "x"


def _label_value(text: str) -> str:
    out = re.sub(r"[^A-Za-z0-9_.-]", "-", text)[:63]
    return re.sub(r"^[^A-Za-z0-9]+|[^A-Za-z0-9]+$", "", out)


def _valid_key(key: str) -> bool:
    """A Kubernetes qualified name: ``[PREFIX/]NAME`` (labels and annotations alike)."""
    prefix, slash, name = key.rpartition("/")
    if slash and (not prefix or len(prefix) > 253 or not _DNS_SUBDOMAIN.match(prefix)):
        return False
    return 0 < len(name) <= 63 and bool(_LABEL_NAME.match(name))


def quantity(n: int) -> str:
    """Bytes as a Kubernetes quantity: ``67108864`` -> ``64Mi``."""
    for suffix, size in (("Ti", 1024**4), ("Gi", 1024**3), ("Mi", 1024**2), ("Ki", 1024)):
        if n % size == 0:
            return f"{n // size}{suffix}"
    return str(n)


def cpu_quantity(cpus: float) -> str:
    """CPUs as a quantity: ``1.0`` -> ``1``, ``1.5`` -> ``1500m``."""
    milli = round(cpus * 1000)
    return str(milli // 1000) if milli % 1000 == 0 else f"{max(milli, 1)}m"


def _fmt_seconds(seconds: float) -> str:
    return f"{seconds:g}s"


# ---------------------------------------------------------------------------------------------
# Image digests through the Podman socket (optional)


def lookup_digests(refs: Iterable[str]) -> DigestLookup:
    """Digests of the images present in the user's Podman storage.

    Only asks a socket that already answers (the user's, or rcontainer's private service):
    export never starts Podman and never fails without it.
    """
    from rcontainer.backends.podman import service
    from rcontainer.backends.podman.api import LibpodClient
    from rcontainer.backends.podman.images import image_attrs

    refs = sorted(set(refs))
    if not refs:
        return DigestLookup()
    try:
        endpoint = service.answering_endpoint()
        if endpoint is None:
            return DigestLookup(unavailable=f"no Podman service answered on {service.find_endpoint().socket}")
    except BadInput as exc:
        return DigestLookup(unavailable=exc.message)
    out = DigestLookup()
    api = LibpodClient(endpoint, timeout=30)
    try:
        for ref in refs:
            attrs = image_attrs(api, ref)
            digest = _digest_for(ref, attrs) if attrs is not None else None
            if digest:
                out.digests[ref] = digest
    except RcError as exc:
        out.unavailable = f"the Podman service failed: {exc.message}"
    return out


def _digest_for(ref: str, attrs: dict[str, Any]) -> str | None:
    from rcontainer.backends.podman.images import split_ref

    repo, _ = split_ref(ref)
    for entry in attrs.get("RepoDigests") or []:
        name, _, digest = entry.partition("@")
        if name == repo and digest.startswith("sha256:"):
            return digest
    digest = attrs.get("Digest") or ""
    return digest if digest.startswith("sha256:") else None


# ---------------------------------------------------------------------------------------------
# The export


def export(
    profiles: Iterable[Profile], *, kind: str = "pod", digests: DigestLookup | None = None
) -> KubeExport:
    """Kubernetes objects for ``profiles`` and the losses of the translation."""
    if kind not in KINDS:
        raise BadInput(f"unknown kind {kind!r}; expected one of: {', '.join(KINDS)}")
    digests = digests if digests is not None else DigestLookup(unavailable="digests were not looked up")
    runtime_classes: dict[str, dict[str, Any]] = {}
    claims: dict[str, dict[str, Any]] = {}
    secrets: list[dict[str, Any]] = []
    workloads: list[dict[str, Any]] = []
    losses: list[Loss] = []
    seen: dict[str, str] = {}
    for profile in profiles:
        t = _Translation(profile, kind, digests)
        workload = t.workload()
        name = workload["metadata"]["name"]
        if name in seen:
            raise BadInput(
                f"profiles {seen[name]} and {profile.path} both export as {kind} {name!r}",
                hint="give one of them another name",
            )
        seen[name] = str(profile.path)
        for rc in t.runtime_classes:
            runtime_classes.setdefault(rc["metadata"]["name"], rc)
        for claim in t.claims:
            claims.setdefault(claim["metadata"]["name"], claim)
        secrets += t.secrets
        workloads.append(workload)
        losses += t.losses
    objects = [*runtime_classes.values(), *claims.values(), *secrets, *workloads]
    return KubeExport(objects, losses)


class _Translation:
    """One profile's translation; collects its extra objects and losses."""

    def __init__(self, profile: Profile, kind: str, digests: DigestLookup) -> None:
        self.profile = profile
        self.p = profile.data
        self.kind = kind
        self.digests = digests
        self.losses: list[Loss] = []
        self.runtime_classes: list[dict[str, Any]] = []
        self.claims: list[dict[str, Any]] = []
        self.secrets: list[dict[str, Any]] = []
        self.name = dns_name(profile.name)
        if self.name != profile.name:
            self.lose("name", f"{profile.name!r} → {self.name!r} (Kubernetes names are DNS names)")

    def lose(self, where: str, what: str) -> None:
        self.losses.append(Loss(self.profile.name, where, what))

    # -- the workload ------------------------------------------------------------------------
    def workload(self) -> dict[str, Any]:
        labels, annotations = self.metadata()
        spec = self.pod_spec()
        if self.kind == "pod":
            meta: dict[str, Any] = {"name": self.name, "labels": labels}
            if annotations:
                meta["annotations"] = annotations
            return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}
        template_meta: dict[str, Any] = {"labels": labels}
        if annotations:
            template_meta["annotations"] = annotations
        return {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": self.name, "labels": dict(labels)},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": {NAME_LABEL: labels[NAME_LABEL]}},
                "template": {"metadata": template_meta, "spec": spec},
            },
        }

    def metadata(self) -> tuple[dict[str, str], dict[str, str]]:
        labels: dict[str, str] = {}
        annotations: dict[str, str] = {}
        for key, value in (self.p["annotations"] or {}).items():
            if _valid_key(key):
                annotations[key] = value
            else:
                self.lose(f"annotations[{key!r}]", "dropped: not a valid Kubernetes annotation key")
        for key, value in (self.p["labels"] or {}).items():
            if not _valid_key(key):
                self.lose(f"labels[{key!r}]", "dropped: not a valid Kubernetes label key")
                continue
            clean = _label_value(value)
            if clean != value:
                annotations.setdefault(key, value)
                self.lose(
                    f"labels[{key!r}]",
                    f"value {value!r} → {clean!r} (label values are at most 63 letters, digits,"
                    " '-', '_' or '.'); the original is kept as an annotation",
                )
            labels[key] = clean
        labels[NAME_LABEL] = _label_value(self.name)
        return labels, annotations

    def pod_spec(self) -> dict[str, Any]:
        p = self.p
        spec: dict[str, Any] = {}
        spec.update(self.runtime_class())
        net = self.network(spec)
        container = self.container(net)
        volumes = self.volumes(container)
        spec["containers"] = [container]
        if volumes:
            spec["volumes"] = volumes
        spec["restartPolicy"] = self.restart_policy()
        spec["terminationGracePeriodSeconds"] = p["stop_timeout"]
        if p["stop_signal"] != "SIGTERM":
            self.lose("stop_signal", f"{p['stop_signal']} dropped: Kubernetes always stops with SIGTERM")
        self.userns(spec)
        return spec

    def runtime_class(self) -> dict[str, Any]:
        name = self.p["runtime"]
        rclass = runtimes.get(name)
        if rclass.family == runtimes.BWRAP:
            self.lose("runtime", f"{name} → default runtime (bubblewrap has no cluster equivalent)")
            return {}
        if rclass.kube_handler is None:
            return {}  # the default class: the cluster's default runtime
        handler = rclass.kube_handler
        if not _DNS_LABEL.match(handler):
            self.lose("runtime", f"{name} → default runtime (handler {handler!r} is not a DNS label)")
            return {}
        class_name = dns_name(name)
        self.runtime_classes.append(
            {
                "apiVersion": "node.k8s.io/v1",
                "kind": "RuntimeClass",
                "metadata": {"name": class_name},
                "handler": handler,
            }
        )
        return {"runtimeClassName": class_name}

    def network(self, spec: dict[str, Any]) -> dict[str, Any]:
        net = self.p["network"]
        mode = net["mode"]
        if mode == "host":
            spec["hostNetwork"] = True
        elif mode == "none":
            self.lose(
                "network.mode",
                "none → the cluster's pod network (a pod always has one; isolate it with a NetworkPolicy)",
            )
        elif mode in ("pasta", "slirp4netns"):
            self.lose("network.mode", f"{mode} → the cluster's pod network")
        hostname = net["hostname"]
        if hostname:
            short = dns_name(hostname.split(".")[0], label=True)
            spec["hostname"] = short
            if short != hostname:
                self.lose("network.hostname", f"{hostname!r} → {short!r} (a pod's hostname is one DNS label)")
        if net["dns"]:
            spec["dnsPolicy"] = "None"
            spec["dnsConfig"] = {"nameservers": list(net["dns"][:3])}
            if len(net["dns"]) > 3:
                self.lose("network.dns", f"only the first 3 of {len(net['dns'])} servers kept")
        if net["add_hosts"]:
            by_ip: dict[str, list[str]] = {}
            for host, ip in net["add_hosts"].items():
                by_ip.setdefault(ip, []).append(host)
            spec["hostAliases"] = [{"ip": ip, "hostnames": hosts} for ip, hosts in by_ip.items()]
        return net

    def container(self, net: dict[str, Any]) -> dict[str, Any]:
        p = self.p
        c: dict[str, Any] = {"name": dns_name(self.profile.name, label=True)}
        c.update(self.image())
        if p["entrypoint"] is not None:
            c["command"] = list(p["entrypoint"])
        if p["command"] is not None:
            c["args"] = list(p["command"])
        if p["workdir"]:
            c["workingDir"] = p["workdir"]
        env = self.env()
        if env:
            c["env"] = env
        ports = self.ports(net)
        if ports:
            c["ports"] = ports
        resources = self.resources()
        if resources:
            c["resources"] = resources
        probe = self.probe()
        if probe:
            c["livenessProbe"] = probe
        security = self.security_context()
        if security:
            c["securityContext"] = security
        if p["tty"]:
            c["tty"] = True
            c["stdin"] = True
        if p["ulimits"]:
            self.lose("ulimits", f"{', '.join(p['ulimits'])} dropped: Kubernetes has no per-pod rlimits")
        return c

    def image(self) -> dict[str, Any]:
        p = self.p
        ref = p["image"]
        if ref is None:  # build: rcontainer tags the image it builds this way
            ref = f"localhost/rcontainer/{p['name']}:latest"
            self.lose(
                "build", f"exported as image {ref}: build it and push it to a registry the cluster reaches"
            )
        out: dict[str, Any] = {}
        digest = self.digests.digests.get(ref)
        if digest and "@" not in ref:
            from rcontainer.backends.podman.images import split_ref

            out["image"] = f"{split_ref(ref)[0]}@{digest}"
        else:
            out["image"] = ref
            if "@" not in ref:
                why = self.digests.unavailable or "the image is not in local Podman storage"
                self.lose("image", f"kept the tag {ref} (not pinned by digest: {why})")
        policy = {"missing": "IfNotPresent", "never": "Never", "always": "Always", "newer": "Always"}[
            p["pull"]
        ]
        if p["pull"] == "newer":
            self.lose("pull", "newer → imagePullPolicy Always")
        if ref.startswith("localhost/") and policy == "Always":
            policy = "IfNotPresent"
            self.lose("pull", f"{p['pull']} → IfNotPresent: a localhost/ image cannot be pulled")
        out["imagePullPolicy"] = policy
        return out

    def env(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        secret_name = dns_name(f"{self.name}-env")
        secret_data: dict[str, str] = {}
        for key, value in self.p["env"].items():
            if key in self.profile.secret_env:
                secret_data[key] = base64.b64encode(value.encode("utf-8")).decode("ascii")
                out.append({"name": key, "valueFrom": {"secretKeyRef": {"name": secret_name, "key": key}}})
            else:
                out.append({"name": key, "value": value})
        if secret_data:
            self.secrets.append(
                {
                    "apiVersion": "v1",
                    "kind": "Secret",
                    "metadata": {"name": secret_name, "labels": {NAME_LABEL: _label_value(self.name)}},
                    "type": "Opaque",
                    "data": secret_data,
                }
            )
        return out

    def ports(self, net: dict[str, Any]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        mode = net["mode"]
        for i, port in enumerate(net["ports"]):
            entry: dict[str, Any] = {
                "containerPort": port["container_port"],
                "protocol": port["protocol"].upper(),
            }
            if mode == "host":
                if port["host_port"] != port["container_port"]:
                    self.lose(
                        f"network.ports[{i}]",
                        f"host port {port['host_port']} dropped: with the host's network the container"
                        f" port {port['container_port']} is the host port",
                    )
            else:
                entry["hostPort"] = port["host_port"]
                if port["host_ip"]:
                    entry["hostIP"] = port["host_ip"]
            out.append(entry)
        if mode == "none" and out:  # the schema allows it; Podman publishes nothing then
            self.lose("network.ports", "published although the profile's network none publishes nothing")
        return out

    def resources(self) -> dict[str, Any]:
        res = self.p["resources"]
        limits: dict[str, str] = {}
        if res["memory"]:
            limits["memory"] = quantity(res["memory"])
        if res["cpus"]:
            limits["cpu"] = cpu_quantity(res["cpus"])
        if res["pids"]:
            self.lose(
                "resources.pids",
                f"limit {res['pids']} dropped: Kubernetes has no per-container pids limit"
                " (a node sets podPidsLimit for every pod)",
            )
        return {"limits": limits} if limits else {}

    def probe(self) -> dict[str, Any] | None:
        hc = self.p["healthcheck"]
        if not hc or hc["test"][0] == "NONE":
            return None
        test = hc["test"]
        command = ["/bin/sh", "-c", test[1]] if test[0] == "CMD-SHELL" else list(test[1:])
        probe: dict[str, Any] = {"exec": {"command": command}}
        for key, k8s, minimum in (
            ("interval", "periodSeconds", 1),
            ("timeout", "timeoutSeconds", 1),
            ("start_period", "initialDelaySeconds", 0),
        ):
            seconds = hc[key]
            whole = max(minimum, math.ceil(seconds))
            if whole != seconds:
                self.lose(
                    f"healthcheck.{key}", f"{_fmt_seconds(seconds)} → {whole}s ({k8s} are whole seconds)"
                )
            probe[k8s] = whole
        retries = hc["retries"]
        probe["failureThreshold"] = max(1, retries)
        if retries < 1:
            self.lose("healthcheck.retries", "0 → failureThreshold 1")
        self.lose(
            "healthcheck",
            "became a livenessProbe: a failing check restarts the container in Kubernetes (Podman only marks it"
            " unhealthy); start_period delays the first check instead of ignoring early failures",
        )
        return probe

    def security_context(self) -> dict[str, Any]:
        p = self.p
        sc: dict[str, Any] = {}
        user = p["user"]
        if user:
            m = _NUMERIC_USER.match(user)
            if m:
                sc["runAsUser"] = int(m.group(1))
                if m.group(2):
                    sc["runAsGroup"] = int(m.group(2))
            else:
                self.lose("user", f"{user!r} dropped: Kubernetes takes numeric ids only (runAsUser)")
        caps: dict[str, list[str]] = {}
        if p["cap_add"]:
            caps["add"] = list(p["cap_add"])
        if p["cap_drop"]:
            caps["drop"] = list(p["cap_drop"])
        if caps:
            sc["capabilities"] = caps
        if p["read_only"]:
            sc["readOnlyRootFilesystem"] = True
        if p["privileged"]:
            sc["privileged"] = True
        # Kubernetes refuses allowPrivilegeEscalation: false with privileged or CAP_SYS_ADMIN.
        if p["privileged"] or "SYS_ADMIN" in p["cap_add"] or "ALL" in p["cap_add"]:
            if p["no_new_privileges"]:
                self.lose(
                    "no_new_privileges",
                    "dropped: Kubernetes forbids it with privileged or CAP_SYS_ADMIN",
                )
        else:
            sc["allowPrivilegeEscalation"] = not p["no_new_privileges"]
        return sc

    def volumes(self, container: dict[str, Any]) -> list[dict[str, Any]]:
        volumes: list[dict[str, Any]] = []
        mounts: list[dict[str, Any]] = []
        by_claim: dict[str, str] = {}
        for i, vol in enumerate(self.p["volumes"]):
            where = f"volumes[{i}]"
            kind = vol["type"]
            if kind == "volume":
                claim = dns_name(vol["source"])
                if claim != vol["source"]:
                    self.lose(where, f"volume {vol['source']!r} → claim {claim!r} (a DNS name)")
                name = by_claim.get(claim)
                if name is None:
                    name = dns_name(f"vol-{claim}", label=True)
                    by_claim[claim] = name
                    volumes.append({"name": name, "persistentVolumeClaim": {"claimName": claim}})
                    self.claims.append(
                        {
                            "apiVersion": "v1",
                            "kind": "PersistentVolumeClaim",
                            "metadata": {"name": claim},
                            "spec": {
                                "accessModes": ["ReadWriteOnce"],
                                "resources": {"requests": {"storage": PVC_SIZE}},
                            },
                        }
                    )
                    self.lose(
                        where, f"volume {vol['source']!r} → a claim of {PVC_SIZE} (a guess: set the size)"
                    )
            elif kind == "bind":
                name = f"host-{i}"
                volumes.append({"name": name, "hostPath": {"path": vol["source"]}})
                self.lose(
                    where, f"bind {vol['source']} → hostPath: it must exist on the node that runs the pod"
                )
            else:
                name = f"tmpfs-{i}"
                empty: dict[str, Any] = {"medium": "Memory"}
                if vol["size"]:
                    empty["sizeLimit"] = quantity(vol["size"])
                volumes.append({"name": name, "emptyDir": empty})
                if vol["mode"] is not None:
                    self.lose(f"{where}.mode", f"{vol['mode']:o} dropped: an emptyDir's mode is 0777")
            mount: dict[str, Any] = {"name": name, "mountPath": vol["target"]}
            if vol["read_only"]:
                mount["readOnly"] = True
            if vol["selinux"]:
                self.lose(f"{where}.selinux", f"{vol['selinux']!r} dropped: the node labels volumes itself")
            mounts.append(mount)
        if mounts:
            container["volumeMounts"] = mounts
        return volumes

    def restart_policy(self) -> str:
        restart = self.p["restart"]
        policy, _, tries = restart.partition(":")
        k8s = {"no": "Never", "on-failure": "OnFailure", "always": "Always", "unless-stopped": "Always"}[
            policy
        ]
        if self.kind == "deployment" and k8s != "Always":
            self.lose("restart", f"{restart} → Always: a Deployment's pods always restart")
            return "Always"
        if tries:
            self.lose("restart", f"{restart} → OnFailure: Kubernetes retries without a maximum count")
        return k8s

    def userns(self, spec: dict[str, Any]) -> None:
        userns = self.p["userns"]
        if userns == "host":
            self.lose(
                "userns",
                "host → the node's user namespace: root in the container is root on the node"
                " (rootless Podman ran it as your user)",
            )
            return
        if spec.get("hostNetwork"):
            self.lose(
                "userns",
                "→ the node's user namespace: Kubernetes refuses hostUsers: false with hostNetwork",
            )
            return
        spec["hostUsers"] = False
        if userns == "keep-id":
            self.lose("userns", "keep-id → hostUsers: false (the node chooses the id mapping)")
        elif isinstance(userns, dict):
            self.lose("userns", "uidmap/gidmap → hostUsers: false (the node chooses the id mapping)")
