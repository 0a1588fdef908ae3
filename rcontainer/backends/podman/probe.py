"""Does a Podman runtime class run here? Found out by running ``true`` with it.

The attempt goes through the same path ``rcontainer up`` takes (the class's own Podman
service, ``service.runtime_service``, where the Podman in use needs one: ``compat.py``), so
what is probed is what will run. The cache of the answers, and the bubblewrap family's probe,
live in ``rcontainer.runtimes.probe``.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import uuid
from typing import TYPE_CHECKING

from rcontainer.backends.podman import compat, service
from rcontainer.backends.podman.api import LibpodClient, PodmanNotFound, PodmanRefused
from rcontainer.backends.podman.images import exists
from rcontainer.errors import PodmanUnavailable, RcError

if TYPE_CHECKING:
    from rcontainer.runtimes import RuntimeClass

PROBE_LABEL = "io.rcontainer.probe"
NO_IMAGE = "cannot probe: no local image (pull one, or set RCONTAINER_PROBE_IMAGE)"
PROBE_TIMEOUT = 60  # seconds for ``true`` to run and exit


def podman_version(podman: str | None) -> str | None:
    """The version ``podman --version`` prints (part of the probe cache's key)."""
    if podman is None:
        return None
    try:
        out = subprocess.run(
            [podman, "--version"], capture_output=True, text=True, timeout=30, env=service.local_env()
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return out.strip().rsplit(" ", 1)[-1] or None


def choose_image(api: LibpodClient) -> str | None:
    """``RCONTAINER_PROBE_IMAGE`` when present, else any local image; None when there is none."""
    wanted = os.environ.get("RCONTAINER_PROBE_IMAGE")
    if wanted:
        return wanted if exists(api, wanted) else None
    for image in api.get_json("/images/json") or []:
        tags = [t for t in image.get("RepoTags") or [] if t != "<none>:<none>"]
        return tags[0] if tags else image.get("Id")
    return None


def probe_podman(rclass: RuntimeClass, *, autostart: bool) -> tuple[bool | None, str | None]:
    """Create, start and wait for ``true`` through the class's Podman service; remove it.

    Returns (usable, reason); usable is None when the probe could not be made at all.
    """
    started_here = False
    if not _needs_runtime_service(rclass):
        try:
            endpoint = service.resolve_endpoint(autostart=autostart)
        except PodmanUnavailable as exc:
            return None, f"cannot probe: {exc.message}"
    else:
        endpoint = service.runtime_endpoint(rclass)
        started_here = not service.answers(endpoint.socket)
        try:
            service.runtime_service(rclass)
        except PodmanUnavailable as exc:
            tail = service.service_log_tail(endpoint)
            return False, f"Podman refused the runtime: {tail}" if tail else exc.message
    usable: bool | None = False
    try:
        usable, reason = _run_true(LibpodClient(endpoint), rclass)
    finally:
        # A service started only to find the runtime unusable would idle for nothing; a usable
        # one is kept for the ``up`` that usually follows.
        if started_here and not usable:
            service.stop_private_service(endpoint)
    return usable, reason


def _needs_runtime_service(rclass: RuntimeClass) -> bool:
    """As ``PodmanBackend.create_client`` decides, from the service that already answers (none
    answering: the class's own service, which works with every Podman version)."""
    if rclass.handler is None:
        return False
    try:
        endpoint = service.answering_endpoint()
    except RcError:
        endpoint = None
    version = compat.parse_version(LibpodClient(endpoint).version()) if endpoint else None
    return compat.runtime_service_needed(rclass.handler, rclass.flags, version)


def _run_true(api: LibpodClient, rclass: RuntimeClass) -> tuple[bool | None, str | None]:
    cid: str | None = None
    try:
        image = choose_image(api)
        if image is None:
            return None, NO_IMAGE
        spec = {
            "name": f"rcontainer-probe-{rclass.name}-{uuid.uuid4().hex[:8]}",
            "image": image,
            "entrypoint": ["true"],  # whatever the image's own entrypoint is
            "netns": {"nsmode": "none"},
            "labels": {PROBE_LABEL: rclass.name},
        }
        if rclass.handler:
            spec["oci_runtime"] = rclass.handler
        cid = api.request("POST", "/containers/create", body=spec, what="create").json()["Id"]
        api.request("POST", f"/containers/{cid}/start", what="start")
        waiting = LibpodClient(api.endpoint, timeout=PROBE_TIMEOUT)
        code = waiting.request("POST", f"/containers/{cid}/wait", what="wait").json()
        if code == 0:
            return True, None
        return False, f"the probe container exited with status {code}"
    except (PodmanRefused, PodmanNotFound) as exc:
        return False, f"Podman said: {' '.join(exc.said.split())}"
    except PodmanUnavailable as exc:
        return None, f"cannot probe: {exc.message}"
    finally:
        if cid is not None:
            with contextlib.suppress(RcError):
                api.request("DELETE", f"/containers/{cid}", {"force": "true"}, what="remove")
