"""What rcontainer's monitor owes each container, and when: pure decisions over records.

The monitor (``rcontainer.engine.monitor``) runs a profile's healthcheck on its interval and
restarts a container that exited by itself, as its ``restart`` policy says, where nothing else
does: not under a systemd unit (``run-unit`` does both there), no healthchecks where the family
runs none, and no restarts where the runtime restarts its containers itself (Podman does, with
conmon's cleanup process; bubblewrap has no daemon). Everything here reads records and
``Capabilities`` only, so it is tested without a runtime (tests/unit/test_monitor.py).
"""

from __future__ import annotations

import heapq
from datetime import UTC, datetime

from rcontainer.backends.base import Capabilities
from rcontainer.container import Record, State
from rcontainer.values import Value

# Seconds between looks at a container the monitor itself restarts (bubblewrap: files and /proc,
# no service asked), so an exit is answered within about this long.
EXIT_LOOK = 1.0
# Seconds after the first start before the first healthcheck (at most): the interval is the
# period, but a fresh container should not stay "starting" for a whole interval.
FIRST_CHECK = 1.0
# Seconds a container that the runtime restarts itself stays watched after it exited: long
# enough for Podman's cleanup process to start it again.
SETTLE = 10.0
# A check that finds the container busy (another command holds its lock) tries again after this.
BUSY_RETRY = 1.0
# Seconds before trying again after a failure (the service away, a restart refused).
FAILED_RETRY = 30.0


class Duty(Value):
    """What the monitor does for one container: ``interval`` seconds between healthchecks (None:
    it runs none), and the restart policy it enforces itself (``no`` when it restarts nothing),
    with at most ``max_restarts`` restarts for ``on-failure:N``. ``policy`` is the profile's
    policy even when the runtime enforces it (then the monitor only waits for the restart)."""

    __slots__ = ("key", "interval", "restarts", "max_restarts", "policy")

    def __init__(
        self, key: str, interval: float | None, restarts: str, max_restarts: int | None, policy: str
    ) -> None:
        self.key = key
        self.interval = interval
        self.restarts = restarts
        self.max_restarts = max_restarts
        self.policy = policy


def policy_of(profile: dict) -> tuple[str, int | None]:
    """(policy, max restarts) of a resolved profile's ``restart`` (``on-failure:3`` -> 3)."""
    policy, _, tries = str(profile.get("restart") or "no").partition(":")
    return policy, int(tries) if tries.isdigit() else None


def duty(rec: Record, caps: Capabilities) -> Duty | None:
    """What the monitor owes ``rec``'s container; None when nothing (no healthcheck it can run,
    no restart it must make, or a systemd unit drives it)."""
    if rec.driver == "systemd" or rec.state in (None, State.REMOVED):
        return None
    hc = rec.profile.get("healthcheck")
    interval = max(0.1, float(hc.get("interval") or 30)) if hc and caps.healthchecks else None
    policy, max_restarts = policy_of(rec.profile)
    restarts = "no" if caps.restarts else policy
    if interval is None and restarts == "no":
        return None
    return Duty(rec.key, interval, restarts, max_restarts, policy)


def user_stopped(rec: Record) -> bool:
    """Whether the container's last stop was asked for (``stop``, ``down``, ExecStop): rcontainer
    recorded it; an exit the runtime reported is ``observed``. A stopped container is never
    restarted after a user's stop, whatever its policy."""
    for tr in reversed(rec.transitions):
        if tr.get("to") in (State.STOPPED, State.REMOVED):
            return tr.get("by") == "rcontainer"
    return False


def restarts_made(rec: Record) -> int:
    """How many times the monitor restarted the container since someone started it last."""
    count = 0
    for tr in reversed(rec.transitions):
        if tr.get("to") != State.RUNNING or tr.get("from") == State.PAUSED:
            continue
        if tr.get("by") != "monitor":
            break
        count += 1
    return count


def should_restart(policy: str, exit_code: int | None, made: int, max_restarts: int | None) -> bool:
    """Whether a container that exited by itself (with ``exit_code``) is started again, having
    been restarted ``made`` times: ``always`` and ``unless-stopped`` yes (a user's stop is told
    apart before this is asked), ``on-failure`` on a non-zero code within ``max_restarts``."""
    if policy in ("always", "unless-stopped"):
        return True
    if policy == "on-failure":
        return exit_code != 0 and (max_restarts is None or made < max_restarts)
    return False


def runtime_will_restart(d: Duty, rec: Record, now: datetime) -> bool:
    """Whether a runtime that restarts containers itself is about to start this one again: its
    policy applies to how it exited, and it exited less than ``SETTLE`` seconds ago (the
    runtime's own restart count is its business). The monitor keeps watching meanwhile."""
    if d.restarts != "no" or not should_restart(d.policy, rec.exit_code, 0, None):
        return False
    last = rec.transitions[-1] if rec.transitions else {}
    try:
        at = datetime.fromisoformat(str(last.get("at")))
    except ValueError:
        return False
    at = at if at.tzinfo else at.replace(tzinfo=UTC)
    return (now - at).total_seconds() < SETTLE


def live(d: Duty | None, rec: Record, now: datetime | None = None) -> bool:
    """Whether the container still needs the monitor, from its record alone: it runs, or it
    exited by itself and a restart (the monitor's or the runtime's) may follow. The monitor
    exits once no container of its project is live. ``now``: the wall clock (default: now)."""
    if d is None:
        return False
    if rec.state in (State.RUNNING, State.PAUSED):
        return True
    if rec.state != State.STOPPED or user_stopped(rec):
        return False
    if d.restarts != "no":
        return should_restart(d.restarts, rec.exit_code, restarts_made(rec), d.max_restarts)
    return runtime_will_restart(d, rec, now or datetime.now(UTC))


class Schedule:
    """When each container is due next: the monitor sleeps until the earliest (a heap of times,
    with stale entries skipped), never polling in between."""

    def __init__(self) -> None:
        self._due: dict[str, float] = {}
        self._heap: list[tuple[float, str]] = []

    def keys(self) -> set[str]:
        return set(self._due)

    def put(self, key: str, when: float) -> None:
        self._due[key] = when
        heapq.heappush(self._heap, (when, key))

    def drop(self, key: str) -> None:
        self._due.pop(key, None)

    def due(self, now: float) -> list[str]:
        """The keys due at ``now`` (taken off the schedule: the caller puts them back)."""
        out = []
        while self._heap and self._heap[0][0] <= now:
            when, key = heapq.heappop(self._heap)
            if self._due.get(key) == when:
                del self._due[key]
                out.append(key)
        return out

    def next(self) -> float | None:
        """The earliest due time, or None when nothing is scheduled."""
        while self._heap and self._due.get(self._heap[0][1]) != self._heap[0][0]:
            heapq.heappop(self._heap)
        return self._heap[0][0] if self._heap else None


def next_look(d: Duty, now: float, health_at: float | None) -> float:
    """When to look at a running container again: at its next healthcheck (``health_at``), or
    sooner when the monitor restarts it (an exit is noticed within ``EXIT_LOOK``)."""
    times = [health_at] if d.interval is not None and health_at is not None else []
    if d.restarts != "no":
        times.append(now + EXIT_LOOK)
    return min(times) if times else now + SETTLE


def restart_delay(made: int) -> float:
    """Seconds before the monitor restarts a container it restarted ``made`` times in a row: half
    a second, doubling up to 30 s, so a command that exits at once does not spin."""
    return min(30.0, 0.5 * 2 ** min(made, 6))
