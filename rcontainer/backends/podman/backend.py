"""The Podman family: containers created and driven through the rootless REST socket.

Every step is a libpod request through ``LibpodClient`` (the standard library: up, ps and
stop never import podman-py). Create posts the SpecGenerator ``spec.py`` writes; a runtime
class with its own OCI runtime is created through that class's own service (``service.py``)
where the Podman in use ignores the runtime named in the request (before 6.0, ``compat.py``).
"""

from __future__ import annotations

import _thread  # threading's own locks, without importing threading (~1 ms of an exec)
import contextlib
import json
import time
from typing import TYPE_CHECKING, Any

from rcontainer.backends.inspect_shapes import health_output, health_status
from rcontainer.backends.podman import service
from rcontainer.backends.podman.api import LibpodClient, Response
from rcontainer.backends.podman.capabilities import CAPABILITIES
from rcontainer.container import Observed, Record, State, make_key
from rcontainer.errors import NotFound, OperationFailed, PodmanUnavailable

if TYPE_CHECKING:
    from rcontainer.backends.base import ExecOptions, Progress
    from rcontainer.backends.podman.images import PodmanImages
    from rcontainer.backends.podman.volumes import PodmanVolumes
    from rcontainer.runtimes import RuntimeClass

# The modules of the other operations (images, volumes, networks, spec, compat, freeze, orphans)
# are imported by the methods that use them: ``ps``, ``stop`` or ``rm`` need the list, inspect
# and lifecycle calls only, and importing them all cost ~5 ms of a ``ps`` (shutil with bz2 and
# lzma, subprocess, their patterns).

LABEL = "io.rcontainer"

_STATUS = {
    "created": State.CREATED,
    "configured": State.CREATED,
    "initialized": State.CREATED,
    "running": State.RUNNING,
    "paused": State.PAUSED,
    "exited": State.STOPPED,
    "stopped": State.STOPPED,
    "stopping": State.RUNNING,
    "dead": State.STOPPED,
    "removing": State.STOPPED,
}

ROOTLESS_V1_PAUSE = "can not pause containers on rootless containers with cgroup v1"


class PodmanBackend:
    family = "podman"
    capabilities = CAPABILITIES

    def __init__(self, *, autostart: bool, notices: list[str]) -> None:
        self._autostart = autostart
        self.notices = notices
        self._api: LibpodClient | None = None
        self._api_lock = _thread.allocate_lock()
        self._images: PodmanImages | None = None
        self._volumes: PodmanVolumes | None = None

    def _once(self, attr: str, make: Any) -> Any:
        """``self.<attr>``, made by ``make()`` on first use: once, even when a project's
        containers ask from several threads at the same time."""
        with self._api_lock:
            if getattr(self, attr) is None:
                setattr(self, attr, make())
            return getattr(self, attr)

    @property
    def api(self) -> LibpodClient:
        """The client of the user's service, found (or started) on first use."""
        return self._once(
            "_api",
            lambda: LibpodClient(service.resolve_endpoint(autostart=self._autostart, notices=self.notices)),
        )

    @property
    def images(self) -> PodmanImages:
        """Podman's image store (``images.py``), made on first use."""
        from rcontainer.backends.podman.images import PodmanImages

        return self._once("_images", lambda: PodmanImages(lambda: self.api))

    @property
    def volumes(self) -> PodmanVolumes:
        """Podman's volume store (``volumes.py``), made on first use."""
        from rcontainer.backends.podman.volumes import PodmanVolumes

        return self._once("_volumes", lambda: PodmanVolumes(lambda: self.api))

    def ensure_image(self, profile: dict[str, Any], progress: Progress | None) -> tuple[str, str]:
        """The first thing the engine asks for a profile: a network this Podman cannot run is
        refused here, before a pull and before ``up`` removes the container it would replace."""
        self.check_network(profile)
        return self.images.ensure(profile, progress)

    def remove_orphan(self, rec: Record, owner: str) -> bool:
        from rcontainer.backends.podman import orphans

        return orphans.remove(self, rec, owner)

    def ensure_network(self, name: str, labels: dict[str, str]) -> bool:
        from rcontainer.backends.podman import networks

        return networks.ensure(self.api, name, labels)

    def remove_network(self, name: str, ours: dict[str, str]) -> bool:
        from rcontainer.backends.podman import networks

        return networks.remove(self.api, name, ours)

    def limits_unenforced(self) -> str | None:
        from rcontainer.backends.podman import compat

        return compat.limits_unenforced((self.api.get_json("/info") or {}).get("host") or {})

    def run_healthcheck(self, rec: Record) -> None:
        """``GET /libpod/containers/ID/healthcheck`` runs one check and records its result, as
        ``podman healthcheck run`` does (rootless without a user manager, Podman's own timers
        never exist); a failed call is judged by the status ``observe`` reads afterwards."""
        if rec.id:
            with contextlib.suppress(OperationFailed, PodmanUnavailable, NotFound):
                self.api.request(
                    "GET", f"/containers/{rec.id}/healthcheck", what=f"healthcheck {rec.name}", ok=(500,)
                )

    # -- lifecycle -------------------------------------------------------------------------
    def _post(
        self, rec: Record, action: str, params: dict[str, str] | None = None, ok: tuple[int, ...] = ()
    ) -> Response:
        cid = rec.backend["id"]
        return self.api.request(
            "POST", f"/containers/{cid}/{action}", params, what=f"{action} {rec.name}", ok=ok
        )

    def create_client(self, rclass: RuntimeClass) -> LibpodClient:
        """A client of the service that stamps new containers with the class's runtime.

        Podman before 6.0 ignores the runtime named in a create request (upstream issue
        28429). A service started as ``podman --runtime NAME system service`` uses NAME for
        every container it creates, and later start/stop/rm through any socket keep it. From
        6.0 the user's service applies the request's runtime itself, when it knows the runtime
        by name (``compat.runtime_service_needed``).
        """
        from rcontainer.backends.podman import compat

        version = compat.parse_version(self.api.version()) if rclass.handler else None
        if not compat.runtime_service_needed(rclass.handler, rclass.flags, version):
            return self.api
        return LibpodClient(service.runtime_service(rclass, notices=self.notices))

    def check_network(self, profile: dict[str, Any]) -> None:
        """Refuse (exit 7) a network mode naming a program the Podman in use lacks: pasta
        before 4.4 or without passt, slirp4netns on Podman 6 or without the program. Only an
        explicit mode asks the service (``/info``, once): ``private`` is Podman's default."""
        mode = (profile.get("network") or {}).get("mode") or "private"
        if mode == "private":
            return  # the common case, decided without importing compat
        from rcontainer.backends.podman import compat

        if mode in compat.EXPLICIT_NETWORKS:
            compat.check_network(mode, self.api.info(), compat.parse_version(self.api.version()))

    def create(
        self,
        rec: Record,
        profile: dict[str, Any],
        image: str,
        rclass: RuntimeClass,
        labels: dict[str, str],
    ) -> str:
        from rcontainer.backends.podman.spec import spec_from_profile

        self.check_network(profile)
        spec = spec_from_profile(
            profile,
            image,
            name=rec.container_name,
            labels=labels,
            log_path=rec.log_path,
            handler=rclass.handler,
        )
        response = self.create_client(rclass).request(
            "POST", "/containers/create", body=spec, what=f"create {rec.name}"
        )
        cid = response.json()["Id"]
        rec.backend = {"id": cid}
        return cid

    def start(self, rec: Record) -> None:
        self._post(rec, "start", ok=(304,))  # 304: already running

    def stop(self, rec: Record, timeout: int) -> None:
        self._post(rec, "stop", {"timeout": str(timeout)}, ok=(304,))  # 304: already stopped

    def kill(self, rec: Record, signal: str) -> None:
        from rcontainer.backends.podman.spec import signal_number

        self._post(rec, "kill", {"signal": str(signal_number(signal))})

    def pause(self, rec: Record) -> str:
        try:
            self._post(rec, "pause")
            return "freezer"
        except OperationFailed as exc:
            if ROOTLESS_V1_PAUSE not in str(exc).lower():
                raise
        from rcontainer.backends.podman import freeze

        freeze.signal_all(self.api, rec, "STOP")
        return "signal"

    def unpause(self, rec: Record) -> None:
        if rec.pause_method == "signal":
            from rcontainer.backends.podman import freeze

            freeze.signal_all(self.api, rec, "CONT")
        else:
            self._post(rec, "unpause")

    def remove(self, rec: Record, stop_timeout: int | None = None) -> None:
        """``DELETE ?force``: Podman stops a running container first, in the same call (with
        ``timeout``, that many seconds before SIGKILL; without, the container's stop timeout)."""
        cid = rec.backend.get("id")
        if not cid:
            return
        if rec.pause_method == "signal":
            # continue frozen processes first: a stopped process cannot act on anything
            from rcontainer.backends.podman import freeze

            with contextlib.suppress(NotFound, OperationFailed):
                freeze.signal_all(self.api, rec, "CONT")
        params = {"force": "true"}
        if stop_timeout is not None:
            params["timeout"] = str(stop_timeout)
        with contextlib.suppress(NotFound):  # already gone: removed is what we wanted
            self.api.request("DELETE", f"/containers/{cid}", params, what=f"remove {rec.name}")

    def observe(self, rec: Record) -> Observed | None:
        if not rec.backend.get("id"):
            return None
        attrs = self.api.get_json(f"/containers/{rec.backend['id']}/json")
        return None if attrs is None else observed_from_inspect(attrs, paused_by_signal=rec.paused_by_signal)

    def observe_all(self, recs: list[Record], scope: str) -> dict[str, Observed]:
        """One list call for every container of the scope (``ps`` cost stays linear), keyed by
        ``PROJECT/NAME`` from their labels (a container made before projects has no project)."""
        filters = json.dumps({"label": [f"{LABEL}.scope={scope}"]})
        items = self.api.get_json("/containers/json", {"all": "true", "filters": filters})
        paused_by_signal = {r.id for r in recs if r.paused_by_signal}
        out: dict[str, Observed] = {}
        for item in items or []:
            labels = item.get("Labels") or {}
            name = labels.get(f"{LABEL}.name")
            if name:
                key = make_key(labels.get(f"{LABEL}.project") or "", name)
                out[key] = observed_from_list(item, paused_by_signal=item.get("Id") in paused_by_signal)
        return out

    def wait(self, rec: Record, timeout: float | None) -> int | None:
        """Podman's wait, on a connection without a timeout (a long wait is not a dead service);
        with ``timeout``, the container is polled instead, so that the wait ends on time."""
        if timeout is not None:
            deadline = time.monotonic() + timeout
            while True:
                observed = self.observe(rec)
                if observed is None or observed.state == State.STOPPED:
                    return observed.exit_code if observed else None
                if time.monotonic() >= deadline:
                    return None
                time.sleep(0.1)
        unbounded = LibpodClient(self.api.endpoint, timeout=None)
        params = {"condition": ["exited", "stopped"]}
        return int(
            unbounded.request(
                "POST", f"/containers/{rec.backend['id']}/wait", params, what=f"wait {rec.name}"
            ).json()
        )

    def exec(self, rec: Record, argv: list[str], how: ExecOptions) -> int:
        """An exec session through the REST API, attached to this process's standard streams
        (``exec_session``). Not ``podman exec --no-session`` (6.0): the REST API has no such
        option (the remote client refuses the flag)."""
        from rcontainer.backends.podman.exec_session import ExecSession

        return ExecSession(self.api, rec.backend["id"], rec.name).run(argv, how)


HEALTH_WORDS = ("healthy", "unhealthy", "starting")


def _port_text(p: dict[str, Any]) -> str:
    host_ip = p.get("host_ip") or ""
    return f"{host_ip + ':' if host_ip else ''}{p['host_port']}->{p['container_port']}/{p.get('protocol', 'tcp')}"


def _state(status: Any, *, paused_by_signal: bool) -> State:
    """Podman's status word as a State; a container paused by signals still runs for Podman."""
    state = _STATUS.get(str(status or "").lower(), State.STOPPED)
    return State.PAUSED if state == State.RUNNING and paused_by_signal else state


def observed_from_inspect(attrs: dict[str, Any], *, paused_by_signal: bool) -> Observed:
    """What ``GET /containers/ID/json`` says of one container."""
    st = attrs.get("State") or {}
    host = attrs.get("HostConfig") or {}
    health = health_status(st)
    ports = []
    for cport, bindings in ((attrs.get("NetworkSettings") or {}).get("Ports") or {}).items():
        for b in bindings or []:
            ip = b.get("HostIp") or ""
            ports.append(f"{ip + ':' if ip else ''}{b.get('HostPort')}->{cport}")
    return Observed(
        state=_state(st.get("Status"), paused_by_signal=paused_by_signal),
        id=attrs.get("Id", ""),
        pid=st.get("Pid") or None,
        started_at=st.get("StartedAt"),
        finished_at=st.get("FinishedAt"),
        exit_code=st.get("ExitCode"),
        health=health,
        ports=ports,
        details={
            "oci_runtime": attrs.get("OCIRuntime"),
            "image": attrs.get("ImageName"),
            "image_id": attrs.get("Image"),
            "log_path": host.get("LogConfig", {}).get("Path"),
            # slirp4netns, pasta, none, host, bridge: what network: private became here
            "network": host.get("NetworkMode"),
            "networks": sorted((attrs.get("NetworkSettings") or {}).get("Networks") or {}),
            "health_output": health_output(st),
            "userns": host.get("UsernsMode"),
            "security_opt": host.get("SecurityOpt"),
            "cap_add": host.get("CapAdd"),
            "cap_drop": host.get("CapDrop"),
            "privileged": host.get("Privileged"),
        },
    )


def observed_from_list(item: dict[str, Any], *, paused_by_signal: bool) -> Observed:
    """What one entry of ``GET /containers/json`` says of a container."""
    return Observed(
        state=_state(item.get("State"), paused_by_signal=paused_by_signal),
        id=item.get("Id", ""),
        pid=item.get("Pid") or None,
        started_at=str(item.get("StartedAt") or ""),
        exit_code=item.get("ExitCode"),
        # libpod's list gives the health status as "Status" ("" without a healthcheck)
        health=status if (status := str(item.get("Status") or "")) in HEALTH_WORDS else None,
        ports=[_port_text(p) for p in item.get("Ports") or []],
        details={"labels": item.get("Labels") or {}, "image": item.get("Image")},
    )
