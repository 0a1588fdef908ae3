"""The bubblewrap family's backend: what the engine asks of a container, done with bwrap.

Layout of one container (``<state>/containers[/<scope>]/.bwrap/<name>-<id12>/``)::

    root/          bound at / (writable): mount points, symlinks and copies of the image's
                   small writable folders (/etc, /root, /home, /var, ...); the image's other
                   top-level folders (/bin, /usr, /lib, ...) are bound over it READ-ONLY from
                   the shared cache (``rootfs``), so no container writes there (``root``)
    spec.json      the bubblewrap options, command and environment, the names of the secret
                   variables (never their values: ``secret_env``)
    runtime.json   written by the supervisor: its pid, bwrap's, the container's init pid,
                   their start times, the boot id and, at the end, the exit code (``status``)
    supervisor.log the supervisor's own errors

The folder and every folder above it under the state folder are 0700, its files 0600, the
container's log 0600.

The container's stdout/stderr go to ``rec.log_path`` in k8s-file format (``framing``). State
comes from ``runtime.json`` and /proc: a process counts as alive only when its pid, its start
time and the boot id all match (``procs.alive``), so PID reuse or a reboot never shows a dead
container as running.
"""

from __future__ import annotations

import contextlib
import os
import signal as signals
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rcontainer import paths
from rcontainer.backends.bwrap import nsjoin, procs, secret_env, spec, status
from rcontainer.backends.bwrap.capabilities import CAPABILITIES
from rcontainer.backends.bwrap.cgroup import freeze
from rcontainer.backends.inspect_shapes import signal_name
from rcontainer.container import Observed, Record, State
from rcontainer.errors import NotFound, OperationFailed, RuntimeUnavailable
from rcontainer.files import ensure_dir


class _OnFirstUse:
    """A module imported when one of its names is first used. ``rootfs`` (with shutil, bz2 and
    lzma), ``launch`` (subprocess, threading, traceback) and shutil serve create, start and
    remove: an ``exec``, ``stop`` or ``ps`` of a bubblewrap container imports none (~6 ms)."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        __import__(self._name)
        return getattr(sys.modules[self._name], attr)


if TYPE_CHECKING:
    import shutil

    from rcontainer.backends.base import ExecOptions, ImageSource, Progress
    from rcontainer.backends.bwrap import launch, rootfs
    from rcontainer.runtimes import RuntimeClass
else:
    shutil = _OnFirstUse("shutil")
    launch = _OnFirstUse("rcontainer.backends.bwrap.launch")
    rootfs = _OnFirstUse("rcontainer.backends.bwrap.rootfs")


class BwrapBackend:
    family = "bwrap"
    capabilities = CAPABILITIES

    def __init__(self, *, images: ImageSource, secrets: secret_env.SecretSource | None = None) -> None:
        self.images = images
        self.secret_source = secrets  # where a later start reads secret values (the profile)
        # secret values of the containers this process created, by id: ``up`` starts what it
        # created without reading the profile again; they are never written anywhere
        self._secrets: dict[str, dict[str, str]] = {}

    def ensure_image(self, profile: dict[str, Any], progress: Progress | None) -> tuple[str, str]:
        """The unpacked tree of an immutable image is cached by id: when the cache knows the
        reference, the image source is not asked at all."""
        if not profile.get("build") and profile.get("pull") in ("missing", "never"):
            image_id = rootfs.cached_ref(profile["image"])
            if image_id:
                return profile["image"], image_id
        return self.images.ensure(profile, progress)

    def limits_unenforced(self) -> str | None:
        return "bubblewrap runs without cgroups"

    def remove_orphan(self, rec: Record, owner: str) -> bool:
        return False  # the record is written before the supervisor starts: no orphans

    def ensure_network(self, name: str, labels: dict[str, str]) -> bool:
        raise RuntimeUnavailable(f"bwrap cannot join the network {name}")  # validate refuses networks:

    def remove_network(self, name: str, ours: dict[str, str]) -> bool:
        return False  # it never makes one

    def run_healthcheck(self, rec: Record) -> None:
        return None  # no healthchecks (capabilities); validate refuses a profile with one

    def _runtime(self, rec: Record) -> dict[str, Any]:
        return status.read(_dir(rec))

    # -- create, start -------------------------------------------------------------------------
    def create(
        self,
        rec: Record,
        profile: dict[str, Any],
        image: str,
        rclass: RuntimeClass,
        labels: dict[str, str],
    ) -> str:
        bwrap = shutil.which("bwrap")
        if bwrap is None:
            raise RuntimeUnavailable(
                "bubblewrap (bwrap) is not installed", hint="install it: apt-get install bubblewrap"
            )
        image_id = rootfs.normal_id(image)
        tree = rootfs.ensure(self.images, image_id)
        config = rootfs.image_config(self.images, image_id)
        if rec.image:
            rootfs.remember_ref(rec.image, image_id)
        cid = os.urandom(32).hex()  # as secrets.token_hex, without importing random and hmac
        cdir = paths.scope_dir("containers") / ".bwrap" / f"{rec.name}-{cid[:12]}"
        hostname = (profile.get("network") or {}).get("hostname") or cid[:12]
        secret_keys = secret_env.keys(rec.profile, profile)
        ensure_dir(cdir.parent)
        try:
            cdir.mkdir(mode=0o700)
            args = spec.lay_out(
                cdir / spec.ROOT, tree, profile, config, hostname, rclass.bwrap_args, secret_keys
            )
            spec.write(
                cdir,
                {
                    "bwrap": bwrap,
                    "args": args,
                    "log_path": rec.log_path,
                    "log_max_bytes": _log_max_bytes(),
                    "ulimits": profile.get("ulimits") or {},
                    "id": cid,
                    "secret_env": secret_keys,
                },
            )
        except BaseException:
            rootfs.rmtree(cdir)
            raise
        stop_signal = profile.get("stop_signal") or signal_name(config.get("StopSignal")) or "SIGTERM"
        rec.backend = {
            "id": cid,
            "rootfs": str(tree),
            "dir": str(cdir),
            "hostname": hostname,
            "stop_signal": str(stop_signal),
            "image_config": config,
            "labels": labels,
        }
        self._secrets[cid] = {k: str(profile["env"][k]) for k in secret_keys}
        return cid

    def start(self, rec: Record) -> None:
        cdir = _dir(rec)
        if not (cdir / spec.NAME).exists():
            raise NotFound(f"start {rec.name}: its bubblewrap folder {cdir} is gone")
        keys = spec.read(cdir).get("secret_env") or []
        secrets = self._secrets.get(rec.id) if keys else {}
        if secrets is None:
            secrets = secret_env.from_profile(self.secret_source, rec, keys, "start")
        launch.start(cdir, rec.name, secrets)

    # -- looking -------------------------------------------------------------------------------
    def observe(self, rec: Record) -> Observed | None:
        b = rec.backend or {}
        if not b.get("id") or not b.get("dir") or not Path(b["dir"]).is_dir():
            return None
        rt = self._runtime(rec)
        details = {
            "rootfs": b.get("rootfs"),
            "dir": b.get("dir"),
            "hostname": b.get("hostname"),
            "supervisor_pid": rt.get("supervisor_pid"),
            "bwrap_pid": rt.get("bwrap_pid"),
            "pause_method": "freezer" if rt.get("cgroup") else "signal",
        }
        if not rt:
            return Observed(State.CREATED, b["id"], details=details)
        boot = rt.get("boot_id")
        init_alive = procs.alive(rt.get("init_pid"), rt.get("init_start"), boot)
        if not init_alive and rt.get("exit_code") is None and not rt.get("init_pid"):
            # between the supervisor's start and bwrap's first report: starting counts as running
            init_alive = procs.alive(rt.get("supervisor_pid"), rt.get("supervisor_start"), boot)
        if init_alive:
            st = State.PAUSED if rec.paused_by_signal else State.RUNNING
            return Observed(
                st, b["id"], pid=rt.get("init_pid"), started_at=rt.get("started_at"), details=details
            )
        if rt.get("exit_code") is None and procs.alive(
            rt.get("supervisor_pid"), rt.get("supervisor_start"), boot
        ):
            rt = self._await_exit_code(rec, 1.0)  # the supervisor is writing it right now
        return Observed(
            State.STOPPED,
            b["id"],
            started_at=rt.get("started_at"),
            finished_at=rt.get("finished_at"),
            exit_code=rt.get("exit_code"),
            details=details,
        )

    def observe_all(self, recs: list[Record], scope: str) -> dict[str, Observed]:
        out: dict[str, Observed] = {}
        for rec in recs:
            obs = self.observe(rec)
            if obs is not None:
                out[rec.key] = obs
        return out

    def _await_exit_code(self, rec: Record, timeout: float) -> dict[str, Any]:
        return status.await_exit_code(_dir(rec), timeout)

    def _init(self, rec: Record) -> int | None:
        return status.live_init(self._runtime(rec))

    def _wait_dead(self, rec: Record, pid: int, timeout: float) -> bool:
        return procs.wait_gone(pid, self._runtime(rec).get("init_start"), timeout)

    # -- transitions ---------------------------------------------------------------------------
    def stop(self, rec: Record, timeout: int) -> None:
        pid = self._init(rec)
        if pid is None:
            return
        sig = procs.signal_number(
            (rec.profile or {}).get("stop_signal") or rec.backend.get("stop_signal") or "SIGTERM"
        )
        procs.send(pid, sig)
        if not self._wait_dead(rec, pid, float(timeout)):
            # SIGKILL to a PID namespace's init kills every process in the namespace
            procs.send(pid, signals.SIGKILL)
            if not self._wait_dead(rec, pid, 10.0):
                raise OperationFailed(f"stop {rec.name}: process {pid} survived SIGKILL")
        self._await_exit_code(rec, 5.0)

    def kill(self, rec: Record, signal: str) -> None:
        pid = self._init(rec)
        if pid is None:
            raise OperationFailed(f"kill {rec.name}: it is not running")
        procs.send(pid, procs.signal_number(signal))
        if procs.signal_number(signal) == signals.SIGKILL:
            self._wait_dead(rec, pid, 5.0)
            self._await_exit_code(rec, 2.0)

    def pause(self, rec: Record) -> str:
        rt = self._runtime(rec)
        if rt.get("cgroup") and freeze(Path(rt["cgroup"]), True):
            return "freezer"
        pid = self._init(rec)
        if pid is None:
            raise OperationFailed(f"pause {rec.name}: it is not running")
        procs.stop_namespace(pid)
        return "signal"

    def unpause(self, rec: Record) -> None:
        rt = self._runtime(rec)
        if rec.pause_method == "freezer" and rt.get("cgroup"):
            freeze(Path(rt["cgroup"]), False)
            return
        pid = self._init(rec)
        if pid is None:
            return
        for p in procs.namespace_pids(pid):
            procs.send(p, signals.SIGCONT)

    def remove(self, rec: Record, stop_timeout: int | None = None) -> None:
        if not (rec.backend or {}).get("dir"):
            return
        if stop_timeout is not None:
            self.stop(rec, stop_timeout)  # gracefully first (down); the SIGKILL below finds it gone
        rt = self._runtime(rec)
        pid = self._init(rec)
        if pid is not None:
            procs.send(pid, signals.SIGKILL)
            self._wait_dead(rec, pid, 10.0)
        # let the supervisor finish its last write first: it would otherwise write into a
        # folder being deleted
        procs.wait_gone(rt.get("supervisor_pid"), rt.get("supervisor_start"), 5.0)
        if rt.get("cgroup"):
            with contextlib.suppress(OSError):
                os.rmdir(rt["cgroup"])
        rootfs.rmtree(_dir(rec))

    def wait(self, rec: Record, timeout: float | None) -> int | None:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            obs = self.observe(rec)
            if obs is None:
                raise NotFound(f"wait {rec.name}: it was removed")
            if obs.state == State.STOPPED:
                return obs.exit_code
            if deadline is not None and time.monotonic() > deadline:
                return None
            time.sleep(0.05)

    def exec(self, rec: Record, argv: list[str], how: ExecOptions) -> int:
        rt = self._runtime(rec)
        pid = status.live_init(rt)
        if pid is None:
            raise OperationFailed(f"exec in {rec.name}: it is not running")
        sp = spec.read(_dir(rec))
        keys = sp.get("secret_env") or []
        secrets = secret_env.from_process(pid, keys)
        if len(secrets) < len(keys):  # the init replaced its environment: ask the profile
            secrets = secret_env.from_profile(self.secret_source, rec, keys, "exec in")
        return nsjoin.run_in(pid, sp, argv, how, secrets=secrets, cgroup=rt.get("cgroup"))


def _dir(rec: Record) -> Path:
    """The container's folder (its spec, status and root filesystem)."""
    return Path(rec.backend["dir"])


def _log_max_bytes() -> int:
    from rcontainer import logs  # its readers (queue, threads) only where a container is made

    return logs.max_bytes()
