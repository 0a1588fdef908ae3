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
- a ``PersistentVolumeClaim`` per named volume (``claimName`` = the volume's name, made a DNS
  name when it is not one, and never the same for two volumes: ``kube_names.UniqueNames``);
- a ``node.k8s.io/v1 RuntimeClass`` per runtime class used, whose ``handler`` is the class's
  ``kube_handler``.

The translation itself is ``kube_pod`` (the workload, pod fields, volumes) and ``kube_container``
(the container's fields); ``kube_names`` makes names Kubernetes accepts. The core never prints;
yaml and podman-py are imported only where needed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from rcontainer.convert.kube_pod import ExportNames, Pod
from rcontainer.convert.loss import Loss
from rcontainer.errors import BadInput, RcError
from rcontainer.profile import Profile

KINDS = ("pod", "deployment")


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
    profiles = list(profiles)
    names = ExportNames(profiles)
    for profile in profiles:
        t = Pod(profile, kind, digests=digests.digests, unavailable=digests.unavailable, names=names)
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
        losses += [
            Loss(profile.name, field, "a dev shell's, made by rcontainer at create; dropped")
            for field in ("home", "host")
            if profile.data.get(field)
        ]
    objects = [*runtime_classes.values(), *claims.values(), *secrets, *workloads]
    return KubeExport(objects, losses)
