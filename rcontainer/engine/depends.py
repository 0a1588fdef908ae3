"""Dependencies: a project's containers handled in parallel, each after what it needs, and the
conditions ``depends_on`` waits for.

``run`` gives every container a thread of its own, which waits until the containers it needs
are done (and, for ``up``, until their condition holds) and then does its work; so independent
containers go at once and a chain goes level by level. ``Conditions`` judges each dependency's
condition once, however many dependants wait on it:

- ``service_started``: its ``up`` finished (it runs);
- ``service_healthy``: its healthcheck passed. Podman schedules healthchecks with systemd
  timers, which rootless hosts without a user manager lack (the status stays ``starting``), so
  ``up`` runs the checks itself while it waits, through ``Engine.run_healthcheck``, as often as
  once a second during the wait. Failures count only once Podman's own schedule would have
  judged the container (start period plus retries times interval): a slow start is not called
  unhealthy early;
- ``service_completed_successfully``: it exited with code 0.

Each wait ends at ``timeout`` seconds (at least the time the healthcheck itself needs to judge),
with a message naming the dependency, what it did not reach and what it showed instead.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from rcontainer.errors import OperationFailed, RcError

if TYPE_CHECKING:
    from concurrent.futures import Future

    from rcontainer.engine.core import Engine

T = TypeVar("T")
DEFAULT_TIMEOUT = 120.0


def run(
    nodes: list[str],
    needs: dict[str, list[str]],
    work: Callable[[str], T],
    gate: Callable[[str, str], None] | None = None,
) -> tuple[dict[str, T], dict[str, RcError]]:
    """``work(node)`` for every node, each in its own thread once the nodes it ``needs`` are done
    and ``gate(node, need)`` returned for each. With a ``gate`` (``up``), a node whose need
    failed is not worked on (its error says why); without, it goes on regardless (``down``).

    The threads are daemons: Ctrl-C ends the command at once, as it would end one ``up`` (a
    create cut short is cleaned up by the next one). An unexpected error (a bug) is raised
    again here, with its traceback."""
    finished = {node: threading.Event() for node in nodes}
    done: dict[str, T] = {}
    errors: dict[str, RcError] = {}
    crashed: list[BaseException] = []

    def one(node: str) -> None:
        try:
            for need in needs.get(node, ()):
                if need not in finished:
                    continue
                finished[need].wait()
                if gate is None:
                    continue
                if need in errors:
                    raise OperationFailed(f"not started: it depends on {need}, which failed")
                try:
                    gate(node, need)
                except RcError as exc:
                    raise OperationFailed(f"not started: its dependency {exc.message}") from None
            done[node] = work(node)
        except RcError as exc:
            errors[node] = exc
        except Exception as exc:  # noqa: BLE001 - raised again in the calling thread
            crashed.append(exc)
        finally:
            finished[node].set()

    threads = [threading.Thread(target=one, args=(n,), name=f"project-{n}", daemon=True) for n in nodes]
    for thread in threads:
        thread.start()
    for event in finished.values():
        event.wait()
    if crashed:
        raise crashed[0]
    return done, errors


class Conditions:
    """The conditions dependants wait for, each judged once per dependency and condition."""

    def __init__(self, engine: Engine, timeout: float | None) -> None:
        self.engine = engine
        self.timeout = timeout
        self._judged: dict[tuple[str, str], Future[None]] = {}
        self._lock = threading.Lock()

    def wait(self, key: str, condition: str, healthcheck: dict[str, Any] | None) -> None:
        """Return once the container ``key`` meets ``condition``; OperationFailed when it will not."""
        if condition == "service_started":
            return
        with self._lock:
            future = self._judged.get((key, condition))
            mine = future is None
            if future is None:
                from concurrent.futures import Future  # with logging: ~4 ms `down` need not pay

                future = self._judged[(key, condition)] = Future()
        if mine:
            try:
                if condition == "service_healthy":
                    self._healthy(key, healthcheck or {})
                else:
                    self._completed(key)
                future.set_result(None)
            except RcError as exc:
                future.set_exception(exc)
        future.result()

    def _healthy(self, key: str, hc: dict[str, Any]) -> None:
        interval = float(hc.get("interval") or 30)
        judged_after = float(hc.get("start_period") or 0) + interval * int(hc.get("retries") or 3)
        timeout = self.timeout if self.timeout is not None else max(DEFAULT_TIMEOUT, judged_after + interval)
        started = time.monotonic()
        while True:
            self.engine.run_healthcheck(key)
            seen = self.engine.inspect(key)
            health = seen.get("health")
            if health == "healthy":
                return
            said = _last_check(seen)
            if seen.get("state") not in ("running", "paused"):
                raise OperationFailed(
                    f"{key} stopped before it became healthy (exit code {seen.get('exit_code')}){said}"
                )
            waited = time.monotonic() - started
            if health == "unhealthy" and waited >= judged_after:
                raise OperationFailed(f"{key} is unhealthy{said}")
            if waited >= timeout:
                raise OperationFailed(
                    f"{key} did not become healthy within {timeout:g}s (health: {health}){said}"
                )
            time.sleep(min(1.0, interval))

    def _completed(self, key: str) -> None:
        timeout = self.timeout if self.timeout is not None else DEFAULT_TIMEOUT
        code = self.engine.wait(key, timeout)
        if code is None:
            raise OperationFailed(f"{key} did not complete within {timeout:g}s")
        if code != 0:
            raise OperationFailed(f"{key} exited with code {code}, not 0")


def _last_check(seen: dict[str, Any]) -> str:
    output = (seen.get("runtime_details") or {}).get("health_output")
    return f"; its last check said: {output}" if output else ""
