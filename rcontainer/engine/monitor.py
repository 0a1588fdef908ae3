"""rcontainer's monitor: healthchecks and restarts without systemd, one process per project.

Podman runs healthchecks with systemd timers; rootless without a user manager they never run
and health stays ``starting`` (upstream issue 19326). bubblewrap has no daemon to restart a
container. So ``up`` (and ``start``) of a container that needs either starts a monitor for its
project when none runs: ``python -m rcontainer.engine.monitor --project PROJECT``, in a session
of its own, its standard streams on ``_monitor.log`` in the project's logs folder (never the
caller's terminal), spawned and not waited for. Under a systemd unit (``run-unit``) the unit
does both and the container is not the monitor's (``Record.driver``).

One monitor per project and scope (``monitor_ctl``: its lock, its start, waking it). It sleeps until the next container is due (``watch.Schedule``): a healthcheck on its
interval, or a look at a container it restarts itself; commands that change a container wake it
(SIGHUP) so it sees new containers and user stops at once. Each request opens and closes its
own connection to Podman: nothing stays open between checks. It exits once its project has no
container it must watch (all stopped by the user, removed, or done restarting).
"""

from __future__ import annotations

import fcntl
import os
import signal
import sys
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from rcontainer.container import Record, State
from rcontainer.engine import store, watch
from rcontainer.engine.monitor_ctl import MODULE, _open_lock, _try_lock
from rcontainer.engine.states import Op
from rcontainer.errors import Busy, RcError

if TYPE_CHECKING:
    from rcontainer.engine.core import Engine


class Monitor:
    """The loop: look at each container when it is due, sleep until the next one."""

    def __init__(self, engine: Engine, project: str, clock: Any = time.monotonic) -> None:
        self.engine = engine
        self.project = project
        self.clock = clock
        self.schedule = watch.Schedule()
        self.health_at: dict[str, float] = {}
        self.exited_at: dict[str, float] = {}  # containers seen stopped, since when

    def say(self, text: str) -> None:
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        print(f"{stamp} {text}", flush=True)

    def duty(self, rec: Record) -> watch.Duty | None:
        return watch.duty(rec, self.engine.backend(rec.family).capabilities)

    def scan(self) -> list[Record]:
        """The project's containers that need the monitor, from their records (no runtime asked)."""
        return [r for r in store.all_records() if r.project == self.project and watch.live(self.duty(r), r)]

    def sync(self, now: float) -> bool:
        """Schedule containers that came, drop those gone; whether any is left."""
        live = {r.key for r in self.scan()}
        for key in self.schedule.keys() - live:
            self.forget(key)
        for key in live - self.schedule.keys():
            self.schedule.put(key, now)
        return bool(live)

    def forget(self, key: str) -> None:
        self.schedule.drop(key)
        self.health_at.pop(key, None)
        self.exited_at.pop(key, None)

    def tend(self, key: str, now: float) -> float | None:
        """Look at one container: restart it if its policy says so, run its healthcheck when due;
        when to look again (None: it no longer needs the monitor)."""
        t = self.engine.transitions
        try:
            with store.lock(key, timeout=0.2):
                rec = store.load(key)
                d = self.duty(rec) if rec is not None else None
                if rec is None or d is None:
                    return None
                state = t.reconcile(rec)
                if state == State.STOPPED and d.restarts != "no" and watch.live(d, rec):
                    first_seen = self.exited_at.setdefault(key, now)
                    made = watch.restarts_made(rec)
                    if now - first_seen < watch.restart_delay(made):
                        return first_seen + watch.restart_delay(made)
                    note = f"restart: {d.policy}; it exited with code {rec.exit_code}"
                    t.step(rec, Op.START, note=note, by="monitor")
                    store.save(rec)
                    self.say(f"{key}: restarted ({note})")
                    state = State(rec.state)
        except Busy:
            return now + watch.BUSY_RETRY
        if state == State.STOPPED and watch.live(d, rec):  # the runtime restarts it: give it time
            return now + watch.EXIT_LOOK
        self.exited_at.pop(key, None)
        if state not in (State.RUNNING, State.PAUSED):
            return None
        health_at = self.health_at.setdefault(key, now + min(d.interval or 0, watch.FIRST_CHECK))
        if d.interval is not None and state == State.RUNNING and health_at <= now:
            t.backend(rec).run_healthcheck(rec)
            now = self.clock()  # a check takes as long as its command
            health_at = self.health_at[key] = now + d.interval
        return watch.next_look(d, now, health_at)

    def step(self, now: float) -> float | None:
        """Tend every container due at ``now``; the next due time (None: nothing left)."""
        for key in self.schedule.due(now):
            try:
                when = self.tend(key, now)
            except RcError as exc:  # the service away, a start refused: said, tried again later
                self.say(f"{key}: {exc.message}")
                when = now + watch.FAILED_RETRY
            if when is None:
                self.forget(key)
            else:
                self.schedule.put(key, when)
        return self.schedule.next()


def _wait(timeout: float) -> int | None:
    """Sleep up to ``timeout`` seconds or until SIGHUP (look now) or SIGTERM/SIGINT; the signal."""
    info = signal.sigtimedwait({signal.SIGHUP, signal.SIGTERM, signal.SIGINT}, max(0.0, timeout))
    return info.si_signo if info else None


def main(project: str, *, autostart: bool) -> int:
    """The monitor process: take the project's lock (or leave it to the monitor holding it),
    then tend its containers until none needs it."""
    from rcontainer.engine.core import Engine

    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGHUP, signal.SIGTERM, signal.SIGINT})
    fd = _open_lock(project)
    if not _try_lock(fd, timeout=2.0):
        return 0  # another monitor runs for this project
    monitor = Monitor(Engine(autostart=autostart), project)

    def hold() -> None:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)

    hold()
    monitor.say(f"monitor of project {project!r} started (pid {os.getpid()})")
    while True:
        now = time.monotonic()
        if not monitor.sync(now):
            # Let go first, then look once more: an up that found the lock held saved its record
            # before looking, so it is seen here; one that came after found it free and started
            # a monitor of its own.
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
            if monitor.sync(time.monotonic()) and _try_lock(fd, timeout=0.5):
                hold()
                continue
            monitor.say("no container needs the monitor any more: exiting")
            return 0
        when = monitor.step(now)
        # nothing scheduled: look at the records again shortly (never a tight loop)
        timeout = 0.2 if when is None else when - time.monotonic()
        if _wait(timeout) in (signal.SIGTERM, signal.SIGINT):
            monitor.say("stopped by a signal")
            return 0


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(prog=f"python -m {MODULE}", description=__doc__.splitlines()[0])
    parser.add_argument("--project", required=True)
    parser.add_argument("--no-autostart", action="store_true")
    args = parser.parse_args()
    sys.exit(main(args.project, autostart=not args.no_autostart))
