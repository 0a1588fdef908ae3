"""Images: immutable templates made of layers, pulled or built through the Podman socket.

An image is never edited: a change makes a new image with a new digest. rcontainer records
the image id a container was created from, so ``up`` notices when a tag moved.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rcontainer.backends.base import ProgressFn
from rcontainer.errors import BadInput, NotFound, OperationFailed

if TYPE_CHECKING:
    from podman import PodmanClient

    from rcontainer.backends.podman.backend import PodmanBackend


def registry_host(ref: str) -> str | None:
    """The registry part of an image reference, when it names one."""
    first = ref.split("/", 1)[0] if "/" in ref else ""
    if first and ("." in first or ":" in first or first == "localhost"):
        return first
    return None


def is_loopback_registry(ref: str) -> bool:
    """Registries on this machine (127.0.0.0/8, ::1, localhost) are reached over plain HTTP,
    as Docker does for them: nothing leaves the machine, and local registries rarely have TLS."""
    host = registry_host(ref)
    if host is None:
        return False
    name = host.rsplit(":", 1)[0].strip("[]") if not host.startswith("[") else host[1:].split("]")[0]
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def split_ref(ref: str) -> tuple[str, str]:
    """``repo`` and ``tag`` (or ``@digest``) of a reference; tag defaults to latest."""
    if "@" in ref:
        repo, digest = ref.split("@", 1)
        return repo, "@" + digest
    last = ref.rsplit("/", 1)[-1]
    if ":" in last:
        repo, tag = ref.rsplit(":", 1)
        return repo, tag
    return ref, "latest"


@dataclass
class ImageInfo:
    id: str
    tags: list[str]
    digest: str | None
    layers: int
    size: int
    created: str | None

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()


def _api_error(exc: Exception, what: str) -> Exception:
    from rcontainer.backends.podman.api import explain_api_error

    return explain_api_error(exc, what)


def exists(client: PodmanClient, ref: str) -> bool:
    return bool(client.images.exists(ref))


def pull(client: PodmanClient, ref: str, progress: ProgressFn | None = None) -> str:
    """Pull through the libpod endpoint, reporting each layer; return the image id.

    The stream carries one line per layer ("Copying blob sha256:..."), no byte counts on
    Podman 4.3 (README, facts about hosts). A failed pull can end with an empty id and no
    error: that is checked.
    """
    from podman.errors import APIError

    params = {"reference": ref, "tlsVerify": str(not is_loopback_registry(ref)).lower(), "quiet": "false"}
    try:
        response = client.api.post("/images/pull", params=params, stream=True)
        response.raise_for_status()
    except APIError as exc:
        raise _api_error(exc, f"pull {ref}") from None
    except Exception as exc:  # requests.HTTPError and friends
        raise OperationFailed(f"pull {ref}: {exc}") from None
    image_id = ""
    error = None
    for raw in response.iter_lines():
        if not raw:
            continue
        try:
            msg = json.loads(raw)
        except ValueError:
            continue
        if msg.get("error"):
            error = msg["error"]
        if msg.get("stream") and progress:
            text = msg["stream"].strip()
            layer = ""
            if text.startswith("Copying blob "):
                layer = text.split()[2][:19]
            progress(layer, text)
        if msg.get("id"):
            image_id = msg["id"]
        if msg.get("images"):
            image_id = msg["images"][0]
    if error or not image_id:
        text = (error or "no image came back").strip()
        if "manifest unknown" in text or "not found" in text or "name unknown" in text:
            raise NotFound(f"pull {ref}: the registry has no such image ({text})")
        raise OperationFailed(f"pull {ref}: {text}")
    return image_id


def build(
    client: PodmanClient, build_spec: dict[str, Any], tag: str, progress: ProgressFn | None = None
) -> str:
    """Build from the profile's ``build`` section; return the new image id."""
    from podman.errors import APIError, BuildError

    try:
        image, logs = client.images.build(
            path=build_spec["context"],
            dockerfile=build_spec.get("containerfile") or "Containerfile",
            tag=tag,
            buildargs=build_spec.get("args") or {},
            rm=True,
        )
        if progress:
            for line in logs:
                text = line.get("stream", "") if isinstance(line, dict) else str(line)
                if text.strip():
                    progress("", text.strip())
    except BuildError as exc:
        raise OperationFailed(f"build {tag}: {exc.msg}") from None
    except APIError as exc:
        raise _api_error(exc, f"build {tag}") from None
    except (TypeError, FileNotFoundError) as exc:
        raise BadInput(f"build {tag}: {exc}") from None
    return image.id


def inspect(client: PodmanClient, ref: str) -> ImageInfo:
    from podman.errors import ImageNotFound

    try:
        attrs = client.images.get(ref).attrs
    except ImageNotFound:
        raise NotFound(f"no image {ref!r} in the user's Podman storage") from None
    return _info(attrs)


def _info(attrs: dict[str, Any]) -> ImageInfo:
    digests = attrs.get("RepoDigests") or []
    return ImageInfo(
        id=attrs.get("Id", ""),
        tags=attrs.get("RepoTags") or [],
        digest=attrs.get("Digest") or (digests[0].split("@", 1)[1] if digests else None),
        layers=len((attrs.get("RootFS") or {}).get("Layers") or []),
        size=int(attrs.get("Size") or 0),
        created=attrs.get("Created"),
    )


def list_images(client: PodmanClient) -> list[ImageInfo]:
    return [
        _info(img.attrs if "RootFS" in img.attrs else client.images.get(img.id).attrs)
        for img in client.images.list()
    ]


def ensure(
    client: PodmanClient, profile: dict[str, Any], progress: ProgressFn | None = None
) -> tuple[str, str]:
    """Make the profile's image present as its pull policy says; return (reference, image id)."""
    policy = profile.get("pull") or "missing"
    if profile.get("build"):
        tag = f"localhost/rcontainer/{profile['name']}:latest"
        if policy in ("always", "newer") or not exists(client, tag):
            return tag, build(client, profile["build"], tag, progress)
        return tag, inspect(client, tag).id
    ref = profile["image"]
    have = exists(client, ref)
    if policy == "never":
        if not have:
            raise NotFound(f"image {ref!r} is not present and the profile says pull: never")
        return ref, inspect(client, ref).id
    if policy == "missing" and have:
        return ref, inspect(client, ref).id
    try:
        return ref, pull(client, ref, progress)
    except OperationFailed:
        if policy == "newer" and have:  # no registry reachable: keep what we have, as Podman does
            return ref, inspect(client, ref).id
        raise


class PodmanImages:
    """Podman's image store as an ``ImageSource``: what the engine and the bwrap family use.

    Answers that need no podman-py (an image already present) go through one libpod request;
    podman-py is imported only to pull, build or export."""

    def __init__(self, backend: PodmanBackend) -> None:
        self._backend = backend

    def local_id(self, ref: str) -> str | None:
        from rcontainer.backends.podman import api as podman_client

        attrs = podman_client.get_json(self._backend.api_endpoint, f"/images/{ref}/json")
        return (attrs or {}).get("Id") or None

    def ensure(self, profile: dict[str, Any], progress: ProgressFn | None) -> tuple[str, str]:
        if not profile.get("build") and profile.get("pull") in ("missing", "never"):
            image_id = self.local_id(profile["image"])
            if image_id:
                return profile["image"], image_id
        return ensure(self._backend.client, profile, progress)

    def pull(self, ref: str, progress: ProgressFn | None) -> dict[str, Any]:
        client = self._backend.client
        return inspect(client, pull(client, ref, progress)).as_dict() | {"reference": ref}

    def build(self, build_spec: dict[str, Any], tag: str, progress: ProgressFn | None) -> dict[str, Any]:
        client = self._backend.client
        return inspect(client, build(client, build_spec, tag, progress)).as_dict() | {"reference": tag}

    def list(self) -> list[dict[str, Any]]:
        return [i.as_dict() for i in list_images(self._backend.client)]

    def export_rootfs(self, image_id: str) -> Iterator[bytes]:
        """Podman cannot export an image's merged tree, only a container's: make a throwaway one."""
        client = self._backend.client
        try:
            container = client.containers.create(image_id, command=["true"], network_mode="none")
        except Exception as exc:  # noqa: BLE001
            raise OperationFailed(
                f"cannot unpack image {image_id[:12]} (creating a container failed): {exc}"
            ) from None
        try:
            yield from container.export()
        finally:
            with contextlib.suppress(Exception):
                container.remove(force=True)

    def config(self, image_id: str) -> dict[str, Any]:
        try:
            attrs = self._backend.client.images.get(image_id).attrs
        except Exception as exc:  # noqa: BLE001 - podman-py raises many kinds; say which image
            raise OperationFailed(f"cannot read the configuration of image {image_id[:12]}: {exc}") from None
        return attrs.get("Config") or {}
