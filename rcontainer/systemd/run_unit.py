"""What a generated unit runs (``rcontainer run-unit PROFILE``): up, notify, wait, finish.

The unit's main process brings the container up, sends systemd ``READY=1`` once it runs (and,
with a healthcheck, once a check passed), then waits for it and exits with its exit code. It
drives the container only through the Engine's public methods, and reads the container's record
(its resolved profile, who stopped it) from the engine's store.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rcontainer.container import Record
from rcontainer.errors import OperationFailed

if TYPE_CHECKING:
    from rcontainer.engine.core import Engine
    from rcontainer.profile import Profile


def notify(message: str, socket_path: str | None = None) -> bool:
    """Send a sd_notify(3) datagram (``READY=1``, ``STATUS=...``) to ``$NOTIFY_SOCKET``.

    Returns False when there is no socket to tell (not run by systemd). An address starting
    with ``@`` is in the abstract namespace.
    """
    path = socket_path if socket_path is not None else os.environ.get("NOTIFY_SOCKET", "")
    if not path:
        return False
    if path.startswith("@"):
        address = "\0" + path[1:]
    elif path.startswith("/"):
        address = path
    else:  # vsock: and others are for VMs; not ours to handle
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(address)
            sock.sendall(message.encode())
    except OSError:
        return False  # as sd_notify(3): the service goes on; systemd's start timeout tells
    return True


class Terminated(Exception):
    """SIGTERM or SIGINT arrived while the unit's container was running."""


def unit_engine(*, autostart: bool = True) -> Engine:
    """An Engine whose containers carry no Podman restart policy: systemd owns restarts.

    With both, Podman would restart the container in place while systemd sees the main process
    end and restarts the unit: two loops fighting over one container.
    """
    from rcontainer.engine.core import Engine

    class UnitEngine(Engine):
        driver = "systemd"  # the unit runs its healthchecks and restarts: no monitor

        def load_profile(self, ref: str | Path) -> Profile:
            profile = super().load_profile(ref)
            profile.data["restart"] = "no"
            return profile

    return UnitEngine(autostart=autostart)


class ExitWatch:
    """Waits for the container to exit in a thread, so the main thread can run healthchecks
    and handle SIGTERM meanwhile.

    The wait is one long call on an engine of its own (the backends' wait uses a connection
    without timeout: a client-wide timeout would cut the wait off after two minutes).
    """

    def __init__(self, engine: Engine, name: str) -> None:
        import threading

        self.engine = engine
        self.name = name
        self.code: int | None = None
        self.error: Exception | None = None
        self.done = threading.Event()
        other = unit_engine(autostart=engine.autostart)  # its own connection: this is a thread

        def target() -> int | None:
            return other.wait(name)

        def run() -> None:
            try:
                self.code = target()
            except Exception as exc:  # noqa: BLE001 - reported to the main thread
                self.error = exc
            finally:
                self.done.set()

        threading.Thread(target=run, name=f"wait-{name}", daemon=True).start()

    def wait(self, timeout: float) -> int | None:
        """The exit code once the container exited, or None while it still runs after ``timeout``."""
        if not self.done.wait(timeout):
            return None
        from rcontainer.errors import RcError

        try:
            # Under the container's lock: when ExecStop is stopping it, this returns after the
            # stop is recorded, so _finish sees who stopped it.
            seen = self.engine.inspect(self.name)
        except RcError:
            seen = {}
        if self.error is not None and seen.get("state") in ("running", "paused"):
            raise OperationFailed(f"waiting for {self.name} failed: {self.error}")
        if self.code is None:
            self.code = seen.get("exit_code")
        return 1 if self.code is None else int(self.code)


def run_healthcheck(engine: Engine, name: str) -> dict[str, Any]:
    """Run the container's healthcheck once, through the API; return ``Engine.inspect`` after it.

    Podman 4.x schedules healthchecks with transient systemd timers (``systemd-run --user``).
    Rootless without a user manager, those cannot be created and no check ever runs (the status
    stays ``starting``), so the unit runs them itself, as ``podman healthcheck run`` would:
    ``GET /libpod/containers/ID/healthcheck`` runs one check and records its result.
    """
    engine.run_healthcheck(name)
    return engine.inspect(name)


def run_unit(
    ref: str,
    *,
    engine: Engine | None = None,
    say: Callable[[str], None] = lambda _text: None,
    poll: float = 60.0,
    project: str | None = None,
    in_project: bool = False,
) -> int:
    """Up, READY=1 when running (and healthy), wait, return the container's exit code.
    ``project`` and ``in_project`` as ``Engine.up`` and ``up_profile`` take them.

    A stop through rcontainer (ExecStop, or ``rcontainer stop`` by hand) returns 0: the unit
    ended as asked. A container that exits by itself returns its own code, non-zero for
    ``Restart=on-failure``. SIGTERM (systemd's, when ExecStop failed; or Ctrl-C by hand) stops
    the container through rcontainer before returning, so nothing keeps running unsupervised.
    """
    from rcontainer.engine import store as state

    engine = engine or unit_engine()

    def terminate(signum: int, _frame: Any) -> None:
        raise Terminated(signal.Signals(signum).name)

    previous = {s: signal.signal(s, terminate) for s in (signal.SIGTERM, signal.SIGINT)}
    name = ""
    try:
        notify("STATUS=starting container")
        # in_project: one of its project's units, which start in dependency order; the
        # container joins the project's network as `up FOLDER` would have it
        plan = engine.up(ref, project=project, in_project=in_project)
        name = plan.key  # PROJECT/NAME: names are unique per project
        profile = rec.profile if (rec := state.load(name)) else {}
        hc = profile.get("healthcheck")
        interval = float(hc.get("interval") or 30) if hc else poll
        watch = ExitWatch(engine, name)
        if hc:
            notify(f"STATUS={name}: running, waiting for its healthcheck")
            say(f"{name}: running; waiting for its healthcheck to pass")
            start_period = float(hc.get("start_period") or 0)
            started = time.monotonic()
            while True:
                seen = run_healthcheck(engine, name)
                if seen.get("state") not in ("running", "paused"):
                    code = watch.wait(poll)
                    return _finish(engine, name, 1 if code is None else code, say)
                health = seen.get("health")
                if health == "healthy":
                    break
                if health == "unhealthy":
                    notify(f"STATUS={name}: unhealthy before it became ready")
                    say(f"{name}: unhealthy before it became ready")
                    return 1
                # While failures do not count yet, check often so READY comes soon; then at
                # the profile's interval, as Podman would.
                in_grace = time.monotonic() - started < start_period
                code = watch.wait(min(1.0, interval) if in_grace else interval)
                if code is not None:
                    return _finish(engine, name, code, say)
        notify(f"READY=1\nSTATUS={name}: running" + (" (healthy)" if hc else ""))
        say(f"{name}: running" + (" and healthy" if hc else ""))
        while True:
            code = watch.wait(min(interval, poll))
            if code is not None:
                return _finish(engine, name, code, say)
            if hc:
                health = run_healthcheck(engine, name).get("health")
                notify(f"STATUS={name}: running ({health})")
    except Terminated as why:
        notify(f"STOPPING=1\nSTATUS=stopping {name or ref} ({why})")
        if name:
            with contextlib.suppress(Exception):  # already stopped or removed: nothing to do
                engine.stop(name)
        return 0
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def _finish(engine: Engine, name: str, code: int, say: Callable[[str], None]) -> int:
    from rcontainer.engine import store as state

    rec = state.load(name) or Record(name=name)
    last = (rec.transitions or [{}])[-1]
    if last.get("to") in ("stopped", "removed") and last.get("by") == "rcontainer":
        notify(f"STOPPING=1\nSTATUS={name}: stopped through rcontainer (exit code {code})")
        say(f"{name}: stopped through rcontainer (exit code {code})")
        return 0
    notify(f"STATUS={name}: exited with code {code}")
    say(f"{name}: exited with code {code}")
    return code
