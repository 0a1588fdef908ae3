"""The pod's one container: image, command, env, ports, limits, probe and security context."""

from __future__ import annotations

import base64
import math
import re
from collections.abc import Callable
from typing import Any

from rcontainer.convert.kube_names import cpu_quantity, dns_name, label_value, quantity
from rcontainer.profile import Profile

NAME_LABEL = "app.kubernetes.io/name"

_NUMERIC_USER = re.compile(r"^([0-9]+)(?::([0-9]+))?$")
# profile pull -> imagePullPolicy
_PULL = {"missing": "IfNotPresent", "never": "Never", "always": "Always", "newer": "Always"}
# healthcheck timing -> probe field, and the least Kubernetes accepts
_PROBE_TIMES = (
    ("interval", "periodSeconds", 1),
    ("timeout", "timeoutSeconds", 1),
    ("start_period", "initialDelaySeconds", 0),
)


class Container:
    """One profile's container; a Secret for its secret env values lands in ``secrets``."""

    def __init__(
        self,
        profile: Profile,
        pod_name: str,
        *,
        digests: dict[str, str],
        unavailable: str | None,
        lose: Callable[[str, str], None],
    ) -> None:
        self.profile = profile
        self.p = profile.data
        self.pod_name = pod_name
        self.digests = digests
        self.unavailable = unavailable
        self.lose = lose
        self.secrets: list[dict[str, Any]] = []

    def spec(self, net: dict[str, Any]) -> dict[str, Any]:
        p = self.p
        name = dns_name(self.profile.name, label=True)
        if name != self.pod_name:  # (a change to the pod's name is noted with it)
            self.lose(
                "name", f"{self.profile.name!r} → container {name!r} (a container's name is a DNS label)"
            )
        c: dict[str, Any] = {"name": name}
        c.update(self.image())
        if p["entrypoint"] == []:
            self.lose(
                "entrypoint",
                "[] dropped: Kubernetes cannot clear the image's ENTRYPOINT (an empty command keeps it)",
            )
        elif p["entrypoint"] is not None:
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
        digest = self.digests.get(ref)
        if digest and "@" not in ref:
            from rcontainer.backends.podman.images import split_ref

            out["image"] = f"{split_ref(ref)[0]}@{digest}"
        else:
            out["image"] = ref
            if "@" not in ref:
                why = self.unavailable or "the image is not in local Podman storage"
                self.lose("image", f"kept the tag {ref} (not pinned by digest: {why})")
        policy = _PULL[p["pull"]]
        if p["pull"] == "newer":
            self.lose("pull", "newer → imagePullPolicy Always")
        if ref.startswith("localhost/") and policy == "Always":
            policy = "IfNotPresent"
            self.lose("pull", f"{p['pull']} → IfNotPresent: a localhost/ image cannot be pulled")
        out["imagePullPolicy"] = policy
        return out

    def env(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        secret_name = dns_name(f"{self.pod_name}-env")
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
                    "metadata": {"name": secret_name, "labels": {NAME_LABEL: label_value(self.pod_name)}},
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
        for key, k8s, minimum in _PROBE_TIMES:
            seconds = hc[key]
            whole = max(minimum, math.ceil(seconds))
            if whole != seconds:
                self.lose(f"healthcheck.{key}", f"{seconds:g}s → {whole}s ({k8s} are whole seconds)")
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
