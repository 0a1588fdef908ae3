"""One profile as a Pod or a Deployment: metadata, the pod's own fields, and its volumes.

The container's fields are ``kube_container``'s; the objects the pod needs besides itself (a
RuntimeClass, PersistentVolumeClaims, a Secret) are collected here for ``kube.export``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rcontainer import runtimes
from rcontainer.convert.kube_container import NAME_LABEL, Container
from rcontainer.convert.kube_names import DNS_LABEL, UniqueNames, dns_name, label_value, quantity, valid_key
from rcontainer.convert.loss import Loss
from rcontainer.profile import Profile

# The size a PersistentVolumeClaim asks for: a Podman volume has no size, a claim must have one.
PVC_SIZE = "1Gi"
# profile restart policy -> restartPolicy
_RESTART = {"no": "Never", "on-failure": "OnFailure", "always": "Always", "unless-stopped": "Always"}


class ExportNames:
    """The names shared by the objects of one export: a claim per Podman volume, a
    RuntimeClass per runtime class, whichever profiles name them."""

    def __init__(self, profiles: Iterable[Profile] = ()) -> None:
        profiles = list(profiles)
        self.claims = UniqueNames()
        self.claims.reserve(
            [v["source"] for p in profiles for v in p.data["volumes"] if v["type"] == "volume"]
        )
        self.runtime_classes = UniqueNames()
        self.runtime_classes.reserve([p.data["runtime"] for p in profiles])


class Pod:
    """One profile's translation; collects its extra objects and losses."""

    def __init__(
        self,
        profile: Profile,
        kind: str,
        *,
        digests: dict[str, str],
        unavailable: str | None,
        names: ExportNames | None = None,
    ) -> None:
        self.profile = profile
        self.p = profile.data
        self.kind = kind
        self.names = names or ExportNames()
        self.losses: list[Loss] = []
        self.runtime_classes: list[dict[str, Any]] = []
        self.claims: list[dict[str, Any]] = []
        self.name = dns_name(profile.name)
        if self.name != profile.name:
            self.lose("name", f"{profile.name!r} → {self.name!r} (Kubernetes names are DNS names)")
        self.container = Container(
            profile, self.name, digests=digests, unavailable=unavailable, lose=self.lose
        )

    @property
    def secrets(self) -> list[dict[str, Any]]:
        return self.container.secrets

    def lose(self, where: str, what: str) -> None:
        self.losses.append(Loss(self.profile.name, where, what))

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
            if valid_key(key):
                annotations[key] = value
            else:
                self.lose(f"annotations[{key!r}]", "dropped: not a valid Kubernetes annotation key")
        for key, value in (self.p["labels"] or {}).items():
            if not valid_key(key):
                self.lose(f"labels[{key!r}]", "dropped: not a valid Kubernetes label key")
                continue
            clean = label_value(value)
            if clean != value:
                annotations.setdefault(key, value)
                self.lose(
                    f"labels[{key!r}]",
                    f"value {value!r} → {clean!r} (label values are at most 63 letters, digits,"
                    " '-', '_' or '.'); the original is kept as an annotation",
                )
            labels[key] = clean
        labels[NAME_LABEL] = label_value(self.name)
        return labels, annotations

    def pod_spec(self) -> dict[str, Any]:
        p = self.p
        spec: dict[str, Any] = {}
        spec.update(self.runtime_class())
        net = self.network(spec)
        container = self.container.spec(net)
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
        if not DNS_LABEL.match(handler):
            self.lose("runtime", f"{name} → default runtime (handler {handler!r} is not a DNS label)")
            return {}
        class_name = self.names.runtime_classes.name(name)
        if class_name != name:
            self.lose("runtime", f"class {name!r} → RuntimeClass {class_name!r} (a DNS name)")
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
            for host, ips in net["add_hosts"].items():
                for ip in [ips] if isinstance(ips, str) else ips:  # one address, or several
                    by_ip.setdefault(ip, []).append(host)
            spec["hostAliases"] = [{"ip": ip, "hostnames": hosts} for ip, hosts in by_ip.items()]
        return net

    def volumes(self, container: dict[str, Any]) -> list[dict[str, Any]]:
        volumes: list[dict[str, Any]] = []
        mounts: list[dict[str, Any]] = []
        by_claim: dict[str, str] = {}
        pod_volumes = UniqueNames(label=True)  # vol-CLAIM, cut to 63: two claims may share it
        for i, vol in enumerate(self.p["volumes"]):
            where = f"volumes[{i}]"
            kind = vol["type"]
            if kind == "volume":
                source = vol["source"]
                claim = self.names.claims.name(source)
                if claim != source:
                    why = "a DNS name" if claim == dns_name(source) else "a DNS name no other volume has"
                    self.lose(where, f"volume {source!r} → claim {claim!r} ({why})")
                name = by_claim.get(claim)
                if name is None:
                    name = pod_volumes.name(f"vol-{claim}")
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
        k8s = _RESTART[policy]
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
