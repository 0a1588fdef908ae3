"""An in-memory implementation of rcontainer's own Backend interface, for unit tests of the
engine's state machine only. It never stands in for Podman or bubblewrap in an integration
test: those run against the real services (tests/integration)."""

from __future__ import annotations

from typing import Any

from rcontainer.backends.base import Capabilities, ExecOptions
from rcontainer.container import Observed, Record, State


class FakeBackend:
    family = "fake"
    capabilities = Capabilities(pause_method="signal", orphans=False, healthchecks=False)

    def __init__(self) -> None:
        self.states: dict[str, State] = {}
        self.calls: list[str] = []
        self.unenforced: str | None = None
        self.networks: dict[str, dict[str, str]] = {}  # name -> labels
        self.health: dict[str, list[str]] = {}  # key -> what each healthcheck run gives (the last stays)
        self.exit_codes: dict[str, int] = {}  # key -> what wait returns
        self.created: dict[str, dict[str, Any]] = {}  # key -> the profile it was created with

    def _did(self, what: str, rec: Record, to: State | None = None) -> None:
        self.calls.append(f"{what} {rec.name}")
        if to is not None:
            self.states[rec.key] = to

    def ensure_image(self, profile: dict[str, Any], progress: Any) -> tuple[str, str]:
        return profile.get("image") or "img", "sha256:" + "0" * 64

    def create(
        self, rec: Record, profile: dict[str, Any], image: str, rclass: Any, labels: dict[str, str]
    ) -> str:
        rec.backend = {"id": rec.key}
        self.created_with = profile
        self.created[rec.key] = profile
        self._did("create", rec, State.CREATED)
        return rec.key

    def start(self, rec: Record) -> None:
        self._did("start", rec, State.RUNNING)

    def stop(self, rec: Record, timeout: int) -> None:
        self._did("stop", rec, State.STOPPED)

    def kill(self, rec: Record, signal: str) -> None:
        self._did("kill", rec, State.STOPPED)

    def pause(self, rec: Record) -> str:
        self._did("pause", rec, State.PAUSED)
        return "signal"

    def unpause(self, rec: Record) -> None:
        self._did("unpause", rec, State.RUNNING)

    def remove(self, rec: Record, stop_timeout: int | None = None) -> None:
        if stop_timeout is not None:  # one call that stops (gracefully) and removes
            self._did(f"remove (stop -t {stop_timeout})", rec)
        else:
            self._did("remove", rec)
        self.states.pop(rec.key, None)

    def remove_orphan(self, rec: Record, owner: str) -> bool:
        return False

    def ensure_network(self, name: str, labels: dict[str, str]) -> bool:
        self.calls.append(f"ensure network {name}")
        self.networks.setdefault(name, labels)  # an existing network stays as it is
        return True

    def remove_network(self, name: str, ours: dict[str, str]) -> bool:
        labels = self.networks.get(name)
        if labels is None or any(labels.get(k) != v for k, v in ours.items()):
            return False
        if any(name in (self.created.get(key) or {}).get("networks", {}) for key in self.states):
            return False  # a container still uses it
        self.calls.append(f"remove network {name}")
        del self.networks[name]
        return True

    def limits_unenforced(self) -> str | None:
        return self.unenforced

    def observe(self, rec: Record) -> Observed | None:
        state = self.states.get(rec.key)
        health = (self.health.get(rec.key) or [None])[0]
        code = self.exit_codes.get(rec.key, 0)
        return None if state is None else Observed(state=state, id=rec.id, exit_code=code, health=health)

    def observe_all(self, recs: list[Record], scope: str) -> dict[str, Observed]:
        return {r.key: o for r in recs if (o := self.observe(r)) is not None}

    def wait(self, rec: Record, timeout: float | None) -> int | None:
        self._did("wait", rec, State.STOPPED)
        return self.exit_codes.get(rec.key, 0)

    def run_healthcheck(self, rec: Record) -> None:
        self._did("healthcheck", rec)
        results = self.health.get(rec.key) or []
        if len(results) > 1:
            results.pop(0)

    def exec(self, rec: Record, argv: list[str], how: ExecOptions) -> int:
        self._did("exec", rec)
        self.exec_with = (argv, how)
        return 7


class FakeBackends:
    """Stands where ``rcontainer.backends.Backends`` does: every family is the fake."""

    def __init__(self) -> None:
        self.fake = FakeBackend()

    def __call__(self, family: str) -> FakeBackend:
        return self.fake
