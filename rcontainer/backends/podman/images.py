"""Images: immutable templates made of layers, pulled or built through the Podman socket.

An image is never edited: a change makes a new image with a new digest. rcontainer records
the image id a container was created from, so ``up`` notices when a tag moved.

Every request goes through ``LibpodClient``; podman-py's helpers pack a build's context.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn

from rcontainer.backends import inspect_shapes as shapes
from rcontainer.backends.base import Progress
from rcontainer.backends.podman.api import LibpodClient, Tar, quoted
from rcontainer.errors import BadInput, NotFound, OperationFailed, RcError
from rcontainer.values import Value


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


class ImageInfo(Value):
    __slots__ = ("id", "tags", "digest", "layers", "size", "created")

    def __init__(
        self, id: str, tags: list[str], digest: str | None, layers: int, size: int, created: str | None
    ) -> None:
        self.id = id
        self.tags = tags
        self.digest = digest
        self.layers = layers
        self.size = size
        self.created = created

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}


def image_attrs(api: LibpodClient, ref: str) -> dict[str, Any] | None:
    """What Podman's image inspect says of ``ref``, or None when the storage has no such image."""
    return api.get_json(f"/images/{quoted(ref)}/json")


def exists(api: LibpodClient, ref: str) -> bool:
    return api.request("GET", f"/images/{quoted(ref)}/exists", ok=(404,)).status == 204


def pull(api: LibpodClient, ref: str, progress: Progress | None = None) -> str:
    """Pull ``ref``, reporting each layer as it goes; return the image id.

    A registry reached over TLS is pulled through Podman's Docker-compatible endpoint, whose
    stream says how many bytes of each layer have come (libpod's says only "Copying blob" on
    Podman 4.3, README, facts about hosts). That endpoint cannot skip TLS verification, so a
    registry on this machine (plain HTTP), or a short name that Podman resolves through
    registries.conf, is pulled through libpod's.
    """
    if registry_host(ref) and not is_loopback_registry(ref):
        return _pull_compat(api, ref, progress)
    return _pull_libpod(api, ref, progress)


def _pull_libpod(api: LibpodClient, ref: str, progress: Progress | None) -> str:
    """A failed pull can end with an empty id and no error: that is checked."""
    params = {"reference": ref, "tlsVerify": str(not is_loopback_registry(ref)).lower(), "quiet": "false"}
    image_id = ""
    error = None
    for msg in api.stream_lines("POST", "/images/pull", params, what=f"pull {ref}"):
        if not isinstance(msg, dict):
            continue
        if msg.get("error"):
            error = msg["error"]
        text = (msg.get("stream") or "").strip()
        if progress and text.startswith("Copying blob "):
            progress.layer(text.split()[2], "Copying blob")
        if msg.get("id"):
            image_id = msg["id"]
        if msg.get("images"):
            image_id = msg["images"][0]
    if error or not image_id:
        _pull_failed(ref, error or "no image came back")
    return image_id


def _pull_compat(api: LibpodClient, ref: str, progress: Progress | None) -> str:
    """Errors arrive inside the stream (HTTP 200 with ``error``); the id is asked afterwards."""
    repo, tag = split_ref(ref)
    params = {"fromImage": ref} if tag.startswith("@") else {"fromImage": repo, "tag": tag}
    error = None
    for msg in api.stream_lines("POST", "/images/create", params, what=f"pull {ref}", compat=True):
        if not isinstance(msg, dict):
            continue
        if msg.get("error"):
            error = msg["error"]
        if progress and msg.get("id") and msg.get("status"):
            detail = msg.get("progressDetail") or {}
            progress.layer(msg["id"], msg["status"], detail.get("current"), detail.get("total"))
    image_id = None if error else (image_attrs(api, ref) or {}).get("Id")
    if not image_id:
        _pull_failed(ref, error or "no image came back")
    return image_id


def _pull_failed(ref: str, text: str) -> NoReturn:
    text = text.strip()
    if "manifest unknown" in text or "not found" in text or "name unknown" in text:
        raise NotFound(f"pull {ref}: the registry has no such image ({text})")
    raise OperationFailed(f"pull {ref}: {text}")


# how many lines of a failed step's output an error shows when the build's output was not
# streamed to the user
FAILED_STEP_LINES = 30


def build(api: LibpodClient, build_spec: dict[str, Any], tag: str, progress: Progress | None = None) -> str:
    """Build from the profile's ``build`` section; return the new image id.

    The context folder is packed as podman-py packs it (honouring .containerignore and
    .dockerignore, the Containerfile copied in when it lies outside); the build's output
    streams to ``progress`` as Podman sends it. A failed step's error names the step, and
    carries its output when that was not streamed to the user.
    """
    context = str(build_spec["context"])
    tar, dockerfile = _pack_context(context, containerfile(build_spec), tag)
    params: dict[str, Any] = {
        "dockerfile": dockerfile,
        "t": tag,
        "rm": "true",
        "layers": "true",
        "outputformat": "application/vnd.oci.image.manifest.v1+json",
    }
    if build_spec.get("args"):
        params["buildargs"] = json.dumps(build_spec["args"])
    output: list[str] = []
    image_id = error = None
    try:
        for msg in api.stream_lines(
            "POST", "/build", params, Tar(tar, _size(tar)), what=f"build {tag}", wait=True
        ):
            if not isinstance(msg, dict):
                continue
            if msg.get("error"):
                error = str(msg["error"]).strip()
            text = msg.get("stream") or ""
            if text:
                output.append(text)
                if progress:
                    progress.output(text)
                if re.match(BUILT_ID, text):
                    image_id = text.strip()
            aux = msg.get("aux") or {}
            if isinstance(aux, dict) and aux.get("ID"):
                image_id = str(aux["ID"]).removeprefix("sha256:")
    finally:
        tar.close()
    if error or not image_id:
        raise OperationFailed(
            f"build {tag}: {error or 'Podman gave no image id'}"
            + ("" if progress else _failed_step("".join(output)))
        )
    return image_id


BUILT_ID = r"^[0-9a-f]{64}\n?$"  # text, compiled by the build that reads it


def _pack_context(context: str, containerfile: str, tag: str) -> tuple[Any, str]:
    """The context as a tar (an open file) and the Containerfile's name inside it."""
    from podman.api import create_tar, prepare_containerfile, prepare_containerignore

    folder = Path(context)
    path = folder / containerfile
    if not folder.is_dir():
        raise BadInput(f"build {tag}: the build context {context} is not a folder")
    if not path.is_file():
        raise BadInput(f"build {tag}: no Containerfile {path}")
    name = prepare_containerfile(context, str(path))
    try:
        return create_tar(anchor=context, exclude=prepare_containerignore(context)), name
    except OSError as exc:
        raise BadInput(f"build {tag}: cannot pack the context {context}: {exc.strerror or exc}") from None
    finally:
        if name != path.name:  # a copy podman-py put into the context: the tar has it now
            with contextlib.suppress(OSError):
                (folder / name).unlink()


def _size(file: Any) -> int:
    return os.fstat(file.fileno()).st_size


def _failed_step(output: str) -> str:
    """The output of the last step (from its ``STEP n/m:`` line on), indented, for an error."""
    lines = output.splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("STEP ")]
    step = lines[starts[-1] :] if starts else lines
    step = step[-FAILED_STEP_LINES:]
    return ("\n" + "\n".join("  " + line for line in step)) if step else ""


def containerfile(build_spec: dict[str, Any]) -> str:
    """The build file: the one named, or, when that is Containerfile or Dockerfile and missing,
    the other of the two where it exists (as ``podman build`` looks for either; a Compose
    file's build has Dockerfile by default)."""
    name = build_spec.get("containerfile") or "Containerfile"
    other = {"Containerfile": "Dockerfile", "Dockerfile": "Containerfile"}.get(name)
    context = Path(build_spec["context"])
    if other and not (context / name).exists() and (context / other).is_file():
        return other
    return name


def inspect(api: LibpodClient, ref: str) -> ImageInfo:
    attrs = image_attrs(api, ref)
    if attrs is None:
        raise NotFound(f"no image {ref!r} in the user's Podman storage")
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


def list_images(api: LibpodClient) -> list[ImageInfo]:
    """Every image; the list's summaries lack the layers, so each image is inspected."""
    out = []
    for summary in api.get_json("/images/json") or []:
        attrs = summary if "RootFS" in summary else image_attrs(api, summary["Id"])
        if attrs is not None:  # None: removed since the list was made
            out.append(_info(attrs))
    return out


def ensure(api: LibpodClient, profile: dict[str, Any], progress: Progress | None = None) -> tuple[str, str]:
    """Make the profile's image present as its pull policy says; return (reference, image id)."""
    policy = profile.get("pull") or "missing"
    if profile.get("build"):
        tag = f"localhost/rcontainer/{profile['name']}:latest"
        if policy in ("always", "newer") or not exists(api, tag):
            return tag, build(api, profile["build"], tag, progress)
        return tag, inspect(api, tag).id
    ref = profile["image"]
    have = exists(api, ref)
    if policy == "never":
        if not have:
            raise NotFound(f"image {ref!r} is not present and the profile says pull: never")
        return ref, inspect(api, ref).id
    if policy == "missing" and have:
        return ref, inspect(api, ref).id
    try:
        return ref, pull(api, ref, progress)
    except OperationFailed:
        if policy == "newer" and have:  # no registry reachable: keep what we have, as Podman does
            return ref, inspect(api, ref).id
        raise


class PodmanImages:
    """Podman's image store as an ``ImageSource``: what the engine and the bwrap family use.

    ``api`` gives the client of the user's service when a request is to be made (the service
    is found, or started, only then)."""

    def __init__(self, api: Callable[[], LibpodClient]) -> None:
        self._api = api

    def local_id(self, ref: str) -> str | None:
        return (image_attrs(self._api(), ref) or {}).get("Id") or None

    def ensure(self, profile: dict[str, Any], progress: Progress | None) -> tuple[str, str]:
        if not profile.get("build") and profile.get("pull") in ("missing", "never"):
            image_id = self.local_id(profile["image"])
            if image_id:
                return profile["image"], image_id
        return ensure(self._api(), profile, progress)

    def pull(self, ref: str, progress: Progress | None) -> dict[str, Any]:
        api = self._api()
        return inspect(api, pull(api, ref, progress)).as_dict() | {"reference": ref}

    def build(self, build_spec: dict[str, Any], tag: str, progress: Progress | None) -> dict[str, Any]:
        api = self._api()
        return inspect(api, build(api, build_spec, tag, progress)).as_dict() | {"reference": tag}

    def list(self) -> list[dict[str, Any]]:
        return [i.as_dict() for i in list_images(self._api())]

    def export_rootfs(self, image_id: str) -> Iterator[bytes]:
        """Podman cannot export an image's merged tree, only a container's: make a throwaway one."""
        api = self._api()
        spec = {"image": image_id, "command": ["true"], "netns": {"nsmode": "none"}}
        try:
            cid = api.request("POST", "/containers/create", body=spec, what="create").json()["Id"]
        except RcError as exc:
            raise OperationFailed(
                f"cannot unpack image {image_id[:12]} (creating a container failed): {exc.message}"
            ) from None
        try:
            yield from api.stream_bytes("GET", f"/containers/{cid}/export", what=f"export {image_id[:12]}")
        finally:
            with contextlib.suppress(RcError):
                api.request("DELETE", f"/containers/{cid}", {"force": "true"}, what="remove")

    def config(self, image_id: str) -> dict[str, Any]:
        try:
            attrs = image_attrs(self._api(), image_id)
        except RcError as exc:
            raise OperationFailed(
                f"cannot read the configuration of image {image_id[:12]}: {exc.message}"
            ) from None
        if attrs is None:
            raise OperationFailed(f"cannot read the configuration of image {image_id[:12]}: no such image")
        return shapes.image_config(attrs.get("Config") or {})
