"""A project (a folder of profiles) for a cluster: its workloads, a Service per name, the waits.

    result = export_project(load_project("shop/"), digests=lookup_digests(refs))

In the project's network every container is reachable by its profile's name and its aliases,
on every port. The closest Kubernetes has is a headless Service (``clusterIP: None``) per name,
selecting the profile's pod: the name resolves to the pod's address (in its namespace, or as
``NAME.NAMESPACE`` from elsewhere) and every port answers, as on the project network; the ports
the profile publishes are listed for the record (SRV names). Each profile on the project's network
gets one, and one per alias.

**Pod, not Deployment, by default.** Under ``podman kube play`` a Pod keeps its name and Podman's
DNS resolves it on the play's network, so the names resolve there as in the project network
(``web`` reaches ``db``); Podman names a Deployment's pod ``NAME-pod-0`` (4.3) or ``NAME-pod``
(5.x), which its dependants would not find. In a cluster the Services resolve either way, so
``--kind deployment`` (a pod the cluster recreates elsewhere) stays one option away.

**depends_on** becomes what Kubernetes can express: the dependant's pod gets an initContainer
per dependency that waits until the dependency's Service name resolves. A headless Service
lists only ready pods, so ``service_healthy`` waits for its readinessProbe (the healthcheck, added
as one to every profile something needs healthy), and ``service_started`` for the pod to run (and
to be ready, when it has that probe: a little more than Compose asks).
``service_completed_successfully`` cannot be waited for (a pod that completed resolves no
more): it is reported, as is every other thing dropped. The objects come dependencies first:
``podman kube play`` starts pods in the order it reads them, and a pod whose dependency came
later would wait forever.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from rcontainer.convert.kube_container import NAME_LABEL
from rcontainer.convert.kube_names import UniqueNames, dns_name, label_value
from rcontainer.convert.loss import Loss
from rcontainer.profile.project import on_project_network

if TYPE_CHECKING:
    from rcontainer.convert.kube import KubeExport
    from rcontainer.profile.project import Project

PROJECT_LABEL = "app.kubernetes.io/part-of"
# What waits for a dependency's name: a small image with sh and nslookup (busybox), pulled once
# per node; ``--wait-image`` names another (a mirror, or the cluster's own copy).
WAIT_IMAGE = "docker.io/library/busybox:1.36"
# The wait: until the Service's name resolves (a headless Service lists ready pods only).
_WAIT_SCRIPT = 'until nslookup "$1" >/dev/null 2>&1; do echo "waiting for $1"; sleep 2; done'
_SERVICE_NAME = "a DNS-1035 label: lowercase letters, digits and '-', starting with a letter"


def service_name(text: str) -> str:
    """``text`` as a Service name: a DNS-1035 label (a Service's name must start with a letter)."""
    name = dns_name(text, label=True)
    return name if name[0].isalpha() else dns_name(f"s-{name}", label=True)


def export_project(
    project: Project, *, kind: str = "pod", digests: Any = None, wait_image: str = WAIT_IMAGE
) -> KubeExport:
    """The project's objects: ``kube.export`` of its profiles (dependencies first), each workload
    labelled with the project, an initContainer per dependency, and a headless Service per name."""
    from rcontainer.convert import kube

    order = project.order()
    result = kube.export([project.profiles[n] for n in order], kind=kind, digests=digests)
    workloads = {o["metadata"]["name"]: o for o in result.objects if o["kind"] in ("Pod", "Deployment")}
    by_profile = {name: workloads[dns_name(name)] for name in order}
    services = _Services(project, result.losses)
    for name in order:
        _label(by_profile[name], project.name)
    for name in order:
        services.add(name, by_profile[name])
    for name in order:
        services.add_aliases(name, by_profile[name])
    for name in order:
        _dependencies(project, name, by_profile, services, wait_image, result.losses)
    # the Services first: a dependant's wait resolves them
    result.objects = [*services.objects, *result.objects]
    return result


def _pod_spec(workload: dict[str, Any]) -> dict[str, Any]:
    return workload["spec"]["template"]["spec"] if workload["kind"] == "Deployment" else workload["spec"]


def _labels(workload: dict[str, Any]) -> dict[str, str]:
    if workload["kind"] == "Deployment":
        return workload["spec"]["template"]["metadata"]["labels"]
    return workload["metadata"]["labels"]


def _label(workload: dict[str, Any], project: str) -> None:
    """The project's name as a label beside the profile's: two projects' ``db`` in one namespace
    are told apart by it (the Services select on both)."""
    value = label_value(project)
    workload["metadata"]["labels"][PROJECT_LABEL] = value
    if workload["kind"] == "Deployment":
        workload["spec"]["template"]["metadata"]["labels"][PROJECT_LABEL] = value
        workload["spec"]["selector"]["matchLabels"][PROJECT_LABEL] = value


class _Services:
    """A headless Service per name a profile is known by on the project's network."""

    def __init__(self, project: Project, losses: list[Loss]) -> None:
        self.project = project
        self.losses = losses
        self.objects: list[dict[str, Any]] = []
        self.names = UniqueNames(label=True)
        self.names.reserve([service_name(n) for n in project.profiles])
        self.owner: dict[str, str] = {}  # Service name -> profile
        self.of: dict[str, str] = {}  # profile -> its own Service's name

    def add(self, name: str, workload: dict[str, Any]) -> None:
        """The Service named after profile ``name`` (its aliases come once every profile has its
        own, so an alias never takes another profile's name)."""
        data = self.project.profiles[name].data
        nets = data.get("networks")
        for net in sorted(nets or {}):
            if net != "default":
                self.lose(
                    name,
                    f"networks.{net}",
                    "dropped: a cluster has one pod network (other namespaces reach this pod by"
                    " its Service, as NAME.NAMESPACE)",
                )
        if not on_project_network(data):
            if nets is not None:
                self.lose(
                    name,
                    "networks",
                    "kept apart from the project's network → the cluster's pod network, where every"
                    " pod can reach it (a NetworkPolicy can isolate it); no Service names it",
                )
            return
        svc = self.names.name(service_name(name))
        if svc != name:
            self.lose(name, "name", f"{name!r} → Service {svc!r} ({_SERVICE_NAME}): use that name")
        self.of[name] = svc
        self.publish(svc, name, workload)

    def add_aliases(self, name: str, workload: dict[str, Any]) -> None:
        if name not in self.of:
            return
        nets = self.project.profiles[name].data.get("networks") or {}
        aliases = dict.fromkeys(a for opts in nets.values() for a in opts.get("aliases") or [] if a != name)
        for alias in aliases:
            wanted = service_name(alias)
            if wanted in self.owner:
                if self.owner[wanted] != name:
                    self.lose(
                        name,
                        "networks.aliases",
                        f"{alias!r}: no Service: {wanted!r} names {self.owner[wanted]} already",
                    )
                continue
            if wanted != alias:
                self.lose(
                    name,
                    "networks.aliases",
                    f"{alias!r} → Service {wanted!r} ({_SERVICE_NAME}): use that name",
                )
            self.publish(wanted, name, workload)

    def publish(self, svc: str, name: str, workload: dict[str, Any]) -> None:
        self.owner[svc] = name
        selector = {
            NAME_LABEL: _labels(workload)[NAME_LABEL],
            PROJECT_LABEL: label_value(self.project.name),
        }
        self.objects.append(self.service(svc, selector, self.ports(self.project.profiles[name].data)))

    def service(self, name: str, selector: dict[str, str], ports: list[dict[str, Any]]) -> dict[str, Any]:
        spec: dict[str, Any] = {"clusterIP": "None", "selector": dict(selector)}
        if ports:
            spec["ports"] = ports
        return {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": name, "labels": dict(selector)},
            "spec": spec,
        }

    @staticmethod
    def ports(data: dict[str, Any]) -> list[dict[str, Any]]:
        """The container ports the profile publishes (every port answers by name anyway)."""
        out: dict[tuple[int, str], dict[str, Any]] = {}
        for port in (data.get("network") or {}).get("ports") or []:
            number, protocol = port["container_port"], port["protocol"].upper()
            out.setdefault(
                (number, protocol),
                {
                    "name": f"{protocol.lower()}-{number}",
                    "port": number,
                    "targetPort": number,
                    "protocol": protocol,
                },
            )
        return list(out.values())

    def lose(self, source: str, where: str, what: str) -> None:
        self.losses.append(Loss(source, where, what))


def _dependencies(
    project: Project,
    name: str,
    workloads: dict[str, dict[str, Any]],
    services: _Services,
    wait_image: str,
    losses: list[Loss],
) -> None:
    """An initContainer per dependency of ``name`` that waits for its Service's name; a
    readinessProbe (its healthcheck) on a dependency that must be healthy."""
    needs = project.needs(name)
    if not needs:
        return
    spec = _pod_spec(workloads[name])
    waits: list[dict[str, Any]] = []
    names = UniqueNames(label=True)
    names.reserve([c["name"] for c in spec["containers"]])
    for dep, condition in sorted(needs.items()):
        where = f"depends_on.{dep}"
        if condition == "service_completed_successfully":
            losses.append(
                Loss(
                    name,
                    where,
                    "service_completed_successfully dropped: Kubernetes cannot order a pod after"
                    " another pod's completion (a pod that completed resolves no more); it starts"
                    " without waiting (run the dependency as a Job, or as an initContainer of this pod)",
                )
            )
            continue
        svc = services.of.get(dep)
        if svc is None:
            losses.append(
                Loss(
                    name,
                    where,
                    f"{condition} dropped: {dep} is on no network a Service names, so nothing to wait for",
                )
            )
            continue
        if condition == "service_healthy":
            dep_container = _pod_spec(workloads[dep])["containers"][0]
            probe = dep_container.get("livenessProbe")
            if probe is not None and "readinessProbe" not in dep_container:
                # beside the livenessProbe, where kubectl shows it
                items = list(dep_container.items())
                at = [k for k, _ in items].index("livenessProbe") + 1
                items.insert(at, ("readinessProbe", copy.deepcopy(probe)))
                dep_container.clear()
                dep_container.update(items)
        waits.append(
            {
                "name": names.name(f"wait-for-{svc}"),
                "image": wait_image,
                "imagePullPolicy": "IfNotPresent",
                "command": ["sh", "-c", _WAIT_SCRIPT, "wait", svc],
                "securityContext": {"allowPrivilegeEscalation": False},
            }
        )
    if waits:
        spec["initContainers"] = waits
        # keys in the order kubectl shows them: initContainers before containers
        items = list(spec.items())
        spec.clear()
        spec.update({k: v for k, v in items if k == "initContainers"})
        spec.update({k: v for k, v in items if k != "initContainers"})
