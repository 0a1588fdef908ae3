"""The Podman family: containers created and driven through the rootless REST socket.

Create requests are libpod SpecGenerator documents posted with podman-py's API client: that
keeps every profile field under our control (podman-py's docker-style keyword mapping drops
some, e.g. ports with ``network_mode="none"``). Lifecycle steps use podman-py's Container.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import signal as signals
import subprocess
import sys
import time
from typing import TYPE_CHECKING, Any

from rcontainer.backends.podman import api as podman_client
from rcontainer.backends.podman.capabilities import CAPABILITIES
from rcontainer.backends.podman.images import PodmanImages
from rcontainer.container import Observed, Record, State
from rcontainer.errors import NotFound, OperationFailed, PodmanUnavailable
from rcontainer.runtimes import RuntimeClass

if TYPE_CHECKING:
    from podman import PodmanClient

    from rcontainer.backends.base import ProgressFn

LABEL = "io.rcontainer"
NS = 1_000_000_000

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


def signal_number(name: str) -> int:
    return int(getattr(signals, name if name.startswith("SIG") else f"SIG{name}"))


def _port_text(p: dict[str, Any]) -> str:
    host_ip = p.get("host_ip") or ""
    return f"{host_ip + ':' if host_ip else ''}{p['host_port']}->{p['container_port']}/{p.get('protocol', 'tcp')}"


def spec_from_profile(
    profile: dict[str, Any],
    image: str,
    *,
    name: str,
    labels: dict[str, str],
    log_path: str,
    handler: str | None,
) -> dict[str, Any]:
    """The libpod SpecGenerator for a resolved profile."""
    p = profile
    net = p.get("network") or {}
    mode = net.get("mode") or "private"
    spec: dict[str, Any] = {
        "name": name,
        "image": image,
        "labels": {**(p.get("labels") or {}), **labels},
        "annotations": dict(p.get("annotations") or {}),
        "env": dict(p.get("env") or {}),
        "terminal": bool(p.get("tty")),
        "stdin": bool(p.get("tty")),
        "log_configuration": {"driver": "k8s-file", "path": log_path},
        "no_new_privileges": bool(p.get("no_new_privileges", True)),
        "read_only_filesystem": bool(p.get("read_only")),
        "privileged": bool(p.get("privileged")),
        "netns": {"nsmode": {"private": "slirp4netns", "slirp4netns": "slirp4netns"}.get(mode, mode)},
        "stop_signal": signal_number(p.get("stop_signal") or "SIGTERM"),
        "stop_timeout": int(p.get("stop_timeout", 10)),
    }
    if handler:
        spec["oci_runtime"] = handler  # honoured by Podman 5; 4.x needs the per-runtime service
    for key, field in (
        ("command", "command"),
        ("entrypoint", "entrypoint"),
        ("work_dir", "workdir"),
        ("user", "user"),
        ("hostname", "hostname"),
    ):
        if p.get(field):
            spec[key] = p[field]
    if mode not in ("host", "none"):
        spec["portmappings"] = [
            {
                "host_ip": x.get("host_ip") or "",
                "host_port": x["host_port"],
                "container_port": x["container_port"],
                "protocol": x.get("protocol", "tcp"),
            }
            for x in net.get("ports") or []
        ]
    if net.get("dns"):
        spec["dns_server"] = list(net["dns"])
    if net.get("add_hosts"):
        spec["hostadd"] = [f"{h}:{ip}" for h, ip in net["add_hosts"].items()]
    userns = p.get("userns")
    if isinstance(userns, str) and userns:
        spec["userns"] = {"nsmode": userns}
    elif isinstance(userns, dict) and userns:
        spec["idmappings"] = {
            "UIDMap": [_idmap(m) for m in userns.get("uidmap", [])],
            "GIDMap": [_idmap(m) for m in userns.get("gidmap", [])],
        }
    mounts, volumes = [], []
    for v in p.get("volumes") or []:
        options = ["ro" if v.get("read_only") else "rw"]
        if v["type"] == "bind":
            mounts.append(
                {
                    "Type": "bind",
                    "Source": v["source"],
                    "Destination": v["target"],
                    "Options": options + ["rbind"],
                }
            )
        elif v["type"] == "tmpfs":
            opts = options + ([f"size={v['size']}"] if v.get("size") else [])
            mounts.append({"Type": "tmpfs", "Source": "tmpfs", "Destination": v["target"], "Options": opts})
        else:
            volumes.append({"Name": v["source"], "Dest": v["target"], "Options": options})
    if mounts:
        spec["mounts"] = mounts
    if volumes:
        spec["volumes"] = volumes
    if p.get("cap_add"):
        spec["cap_add"] = list(p["cap_add"])
    if p.get("cap_drop"):
        spec["cap_drop"] = list(p["cap_drop"])
    res = p.get("resources") or {}
    limits: dict[str, Any] = {}
    if res.get("memory"):
        limits["memory"] = {"limit": int(res["memory"])}
    if res.get("cpus"):
        limits["cpu"] = {"quota": int(float(res["cpus"]) * 100_000), "period": 100_000}
    if res.get("pids"):
        limits["pids"] = {"limit": int(res["pids"])}
    if limits:
        spec["resource_limits"] = limits
    if p.get("ulimits"):
        spec["r_limits"] = [
            {"type": f"RLIMIT_{k.upper()}", "soft": v["soft"], "hard": v["hard"]}
            for k, v in p["ulimits"].items()
        ]
    hc = p.get("healthcheck")
    if hc:
        spec["healthconfig"] = {
            "Test": list(hc["test"]),
            "Interval": int(float(hc.get("interval", 30)) * NS),
            "Timeout": int(float(hc.get("timeout", 30)) * NS),
            "Retries": int(hc.get("retries", 3)),
            "StartPeriod": int(float(hc.get("start_period", 0)) * NS),
        }
    restart = p.get("restart") or "no"
    if restart != "no":
        policy, _, tries = restart.partition(":")
        spec["restart_policy"] = policy
        if tries:
            spec["restart_tries"] = int(tries)
    return spec


def _idmap(m: Any) -> dict[str, int]:
    if isinstance(m, dict):
        return {"container_id": int(m["container_id"]), "host_id": int(m["host_id"]), "size": int(m["size"])}
    container_id, host_id, size = (int(x) for x in str(m).split(":"))
    return {"container_id": container_id, "host_id": host_id, "size": size}


class PodmanBackend:
    family = "podman"
    capabilities = CAPABILITIES

    def __init__(self, *, autostart: bool, notices: list[str]) -> None:
        self._autostart = autostart
        self._notices = notices
        self._client: PodmanClient | None = None
        self.endpoint: podman_client.Endpoint | None = None
        self.images = PodmanImages(self)

    def ensure_image(self, profile: dict[str, Any], progress: ProgressFn | None) -> tuple[str, str]:
        return self.images.ensure(profile, progress)

    def remove_orphan(self, name: str, scope: str) -> bool:
        """Remove this scope's container of that name that has no record; True if there was one."""
        for observed_name, obs in self.observe_all([], scope).items():
            if observed_name == name:
                self.remove(Record(name=name, backend={"id": obs.id}))
                return True
        return False

    def run_healthcheck(self, rec: Record) -> None:
        """``GET /libpod/containers/ID/healthcheck`` runs one check and records its result, as
        ``podman healthcheck run`` does (rootless without a user manager, Podman's own timers
        never exist); a failed call is judged by the status ``observe`` reads afterwards."""
        if rec.id:
            with contextlib.suppress(OperationFailed, PodmanUnavailable, NotFound):
                podman_client.request(
                    self.api_endpoint,
                    "GET",
                    f"/containers/{rec.id}/healthcheck",
                    what=f"healthcheck {rec.name}",
                    ok=(500,),
                )

    # -- connection ------------------------------------------------------------------------
    @property
    def client(self) -> PodmanClient:
        if self._client is None:
            self._client = podman_client.client(self.api_endpoint)
        return self._client

    @property
    def api_endpoint(self) -> podman_client.Endpoint:
        """The endpoint, resolved without importing podman-py (for read-only requests)."""
        if self.endpoint is None:
            self.endpoint = podman_client.resolve_endpoint(autostart=self._autostart, notices=self._notices)
        return self.endpoint

    def _call(self, what: str, fn, *args, **kwargs):
        """Run a podman-py call, turning its errors into the project's."""
        from podman.errors import APIError
        from podman.errors import NotFound as PodmanNotFound

        try:
            return fn(*args, **kwargs)
        except PodmanNotFound:
            raise NotFound(f"{what}: Podman has no such container") from None
        except APIError as exc:
            raise podman_client.explain_api_error(exc, what) from None
        except (ConnectionError, OSError) as exc:
            raise PodmanUnavailable(
                f"{what}: the Podman service did not answer ({exc.__class__.__name__})",
                hint="run the command again once the service is back",
            ) from None
        except Exception as exc:
            if "requests" in type(exc).__module__ or "urllib3" in type(exc).__module__:
                raise PodmanUnavailable(
                    f"{what}: the Podman service did not answer ({exc.__class__.__name__})",
                    hint="run the command again once the service is back",
                ) from None
            raise

    def _container(self, rec: Record):
        return self._call(f"look up {rec.name}", self.client.containers.get, rec.backend["id"])

    # -- lifecycle -------------------------------------------------------------------------
    # These go through podman_client.request (the standard library) rather than podman-py:
    # importing podman-py costs more than the requests themselves, and up/down/start/stop are
    # the commands people run most (see request()'s docstring and BENCHMARKS.md).
    def _post(
        self, rec: Record, action: str, params: dict[str, str] | None = None, ok: tuple[int, ...] = ()
    ) -> podman_client.Response:
        cid = rec.backend["id"]
        return podman_client.request(
            self.api_endpoint,
            "POST",
            f"/containers/{cid}/{action}",
            params,
            what=f"{action} {rec.name}",
            ok=ok,
        )

    def create_endpoint(self, rclass: RuntimeClass) -> podman_client.Endpoint:
        """The service that stamps new containers with the class's runtime.

        Podman 4.x ignores the runtime named in a create request (upstream issue 28429). A
        service started as ``podman --runtime NAME system service`` uses NAME for every
        container it creates, and later start/stop/rm through any socket keep it.
        """
        if rclass.handler is None:
            return self.api_endpoint
        return podman_client.runtime_service(rclass, notices=self._notices)

    def create(
        self,
        rec: Record,
        profile: dict[str, Any],
        image: str,
        rclass: RuntimeClass,
        labels: dict[str, str],
    ) -> str:
        spec = spec_from_profile(
            profile,
            image,
            name=rec.container_name,
            labels=labels,
            log_path=rec.log_path,
            handler=rclass.handler,
        )
        response = podman_client.request(
            self.create_endpoint(rclass),
            "POST",
            "/containers/create",
            body=spec,
            what=f"create {rec.name}",
        )
        cid = response.json()["Id"]
        rec.backend = {"id": cid}
        return cid

    def start(self, rec: Record) -> None:
        self._post(rec, "start", ok=(304,))  # 304: already running

    def stop(self, rec: Record, timeout: int) -> None:
        self._post(rec, "stop", {"timeout": str(timeout)}, ok=(304,))  # 304: already stopped

    def kill(self, rec: Record, signal: str) -> None:
        self._post(rec, "kill", {"signal": str(signal_number(signal))})

    def pause(self, rec: Record) -> str:
        try:
            self._post(rec, "pause")
            return "freezer"
        except OperationFailed as exc:
            if ROOTLESS_V1_PAUSE not in str(exc).lower():
                raise
        self._signal_all(rec, "STOP")
        return "signal"

    def unpause(self, rec: Record) -> None:
        if rec.pause_method == "signal":
            self._signal_all(rec, "CONT")
        else:
            self._post(rec, "unpause")

    def _host_pids(self, rec: Record) -> set[int]:
        top = podman_client.request(
            self.api_endpoint,
            "GET",
            f"/containers/{rec.backend['id']}/top",
            {"ps_args": "hpid"},
            what=f"list processes of {rec.name}",
        ).json()
        pids = set()
        for row in (top or {}).get("Processes") or []:
            value = row[0].strip() if row else ""
            if value.isdigit():
                pids.add(int(value))
        return pids

    def _signal_all(self, rec: Record, sig: str) -> None:
        """Stop (or continue) every process of the container: the pause method where Podman has
        no cgroup freezer for rootless containers (cgroup v1).

        Podman's API cannot signal processes one by one, and processes running as other users
        inside the container can only be signalled from its user namespace, so this runs
        ``podman unshare kill`` (an argument list, never a shell line). A process forked while
        the others are being stopped is caught by repeating until the set is stable.
        """
        podman = shutil.which("podman")
        if podman is None:
            raise OperationFailed("pausing needs the podman command on PATH (signal method)")
        done: set[int] = set()
        for _ in range(10):
            pids = self._host_pids(rec) - (done if sig == "STOP" else set())
            if not pids:
                break
            proc = subprocess.run(
                [podman, "unshare", "kill", f"-{sig}", *map(str, sorted(pids))],
                capture_output=True,
                text=True,
                env=podman_client.local_env(),
            )
            if proc.returncode != 0 and "No such process" not in proc.stderr:
                raise OperationFailed(
                    f"{'pause' if sig == 'STOP' else 'unpause'} {rec.name}: "
                    f"kill -{sig} failed: {proc.stderr.strip()}"
                )
            done |= pids
            if sig == "CONT":
                break

    def remove(self, rec: Record) -> None:
        cid = rec.backend.get("id")
        if not cid:
            return
        if rec.pause_method == "signal":
            # continue frozen processes first: a stopped process cannot act on anything
            with contextlib.suppress(NotFound, OperationFailed):
                self._signal_all(rec, "CONT")
        with contextlib.suppress(NotFound):  # already gone: removed is what we wanted
            podman_client.request(
                self.api_endpoint,
                "DELETE",
                f"/containers/{cid}",
                {"force": "true"},
                what=f"remove {rec.name}",
            )

    def observe(self, rec: Record) -> Observed | None:
        if not rec.backend.get("id"):
            return None
        attrs = podman_client.get_json(self.api_endpoint, f"/containers/{rec.backend['id']}/json")
        if attrs is None:
            return None
        return self._observed_from_inspect(rec, attrs)

    def _observed_from_inspect(self, rec: Record, attrs: dict[str, Any]) -> Observed:
        st = attrs.get("State") or {}
        state = _STATUS.get(str(st.get("Status", "")).lower(), State.STOPPED)
        if state == State.RUNNING and rec is not None and rec.paused_by_signal:
            state = State.PAUSED
        health = (st.get("Health") or st.get("Healthcheck") or {}).get("Status") or None
        ports = []
        for cport, bindings in ((attrs.get("NetworkSettings") or {}).get("Ports") or {}).items():
            for b in bindings or []:
                ip = b.get("HostIp") or ""
                ports.append(f"{ip + ':' if ip else ''}{b.get('HostPort')}->{cport}")
        return Observed(
            state=state,
            id=attrs.get("Id", ""),
            pid=st.get("Pid") or None,
            started_at=st.get("StartedAt"),
            finished_at=st.get("FinishedAt"),
            exit_code=st.get("ExitCode"),
            health=health or None,
            ports=ports,
            details={
                "oci_runtime": attrs.get("OCIRuntime"),
                "image": attrs.get("ImageName"),
                "image_id": attrs.get("Image"),
                "log_path": (attrs.get("HostConfig") or {}).get("LogConfig", {}).get("Path"),
                "userns": (attrs.get("HostConfig") or {}).get("UsernsMode"),
                "security_opt": (attrs.get("HostConfig") or {}).get("SecurityOpt"),
                "cap_add": (attrs.get("HostConfig") or {}).get("CapAdd"),
                "cap_drop": (attrs.get("HostConfig") or {}).get("CapDrop"),
                "privileged": (attrs.get("HostConfig") or {}).get("Privileged"),
            },
        )

    def observe_all(self, recs: list[Record], scope: str) -> dict[str, Observed]:
        """One list call for every container of the scope (``ps`` cost stays linear)."""
        filters = json.dumps({"label": [f"{LABEL}.scope={scope}"]})
        items = podman_client.get_json(
            self.api_endpoint, "/containers/json", {"all": "true", "filters": filters}
        )
        by_name = {r.name: r for r in recs}
        out: dict[str, Observed] = {}
        for item in items or []:
            name = (item.get("Labels") or {}).get(f"{LABEL}.name")
            if not name:
                continue
            rec = by_name.get(name)
            state = _STATUS.get(str(item.get("State", "")).lower(), State.STOPPED)
            if state == State.RUNNING and rec is not None and rec.paused_by_signal:
                state = State.PAUSED
            ports = [_port_text(p) for p in item.get("Ports") or []]
            out[name] = Observed(
                state=state,
                id=item.get("Id", ""),
                pid=item.get("Pid") or None,
                started_at=str(item.get("StartedAt") or ""),
                exit_code=item.get("ExitCode"),
                ports=ports,
                details={"labels": item.get("Labels") or {}, "image": item.get("Image")},
            )
        return out

    def wait(self, rec: Record, timeout: float | None) -> int | None:
        """Podman's wait, on a client without a request timeout (a client-wide timeout would cut
        a long wait); with ``timeout``, the container is polled instead, because podman-py turns
        Podman's own wait timeout into a failed call on 4.3."""
        if timeout is not None:
            deadline = time.monotonic() + timeout
            while True:
                observed = self.observe(rec)
                if observed is None or observed.state == State.STOPPED:
                    return observed.exit_code if observed else None
                if time.monotonic() >= deadline:
                    return None
                time.sleep(0.1)
        self.client  # noqa: B018 - resolves the endpoint
        assert self.endpoint is not None
        with podman_client.client(self.endpoint, timeout=None) as unbounded:
            c = self._call(f"look up {rec.name}", unbounded.containers.get, rec.backend["id"])
            return int(self._call(f"wait {rec.name}", c.wait, condition=["exited", "stopped"]))

    def exec(self, rec: Record, argv: list[str], *, tty: bool, env: dict[str, str]) -> int:
        if tty:
            # podman-py cannot attach an interactive terminal to an exec session (it has no
            # hijacked stdin stream), so a terminal session goes through the podman command.
            podman = shutil.which("podman")
            if podman is None:
                raise OperationFailed("an interactive exec needs the podman command on PATH")
            cmd = [podman, "exec", "-it"]
            for k, v in env.items():
                cmd += ["-e", f"{k}={v}"]
            return subprocess.call([*cmd, rec.backend["id"], *argv], env=podman_client.local_env())
        c = self._container(rec)
        code, output = self._call(
            f"exec in {rec.name}",
            c.exec_run,
            argv,
            demux=True,
            environment=[f"{k}={v}" for k, v in env.items()] or None,
        )
        out, err = output if isinstance(output, tuple) else (output, None)
        if out:
            sys.stdout.buffer.write(out)
            sys.stdout.flush()
        if err:
            sys.stderr.buffer.write(err)
            sys.stderr.flush()
        return int(code or 0)
