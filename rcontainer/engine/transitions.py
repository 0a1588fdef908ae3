"""Making transitions happen: one step function, reconciliation, and the record of each change.

``step`` is the only way the engine changes a container: check the operation against the
``LEGAL`` table, act through the backend, record the table's target state. Compound commands
(up, restart, down) are sequences of steps. ``reconcile`` brings a record in line with what the
runtime reports (Podman stays the source of truth); a change made outside rcontainer is
recorded as ``observed``, at the time the runtime gives where it knows it.
"""

from __future__ import annotations

from collections.abc import Callable

from rcontainer.backends.base import Backend
from rcontainer.container import Observed, Record, State
from rcontainer.engine import binds, events, store
from rcontainer.engine.states import LEGAL, Op, check_transition
from rcontainer.errors import OperationFailed, RcError

Act = Callable[[Record, Backend], object]


def now_iso() -> str:
    # datetime is imported where a time is written or read: an exec, which changes nothing,
    # does not pay for it (~1 ms)
    from datetime import UTC, datetime

    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _start(rec: Record, b: Backend) -> None:
    binds.check_sources(rec)
    try:
        b.start(rec)
    except OperationFailed as exc:
        raise start_failed(rec, b, exc) from None


def start_failed(rec: Record, b: Backend, exc: OperationFailed) -> OperationFailed:
    """The runtime's refusal to start, with the state the container is left in, how to retry,
    and, for a host port in use, which of rcontainer's containers publishes it."""
    try:
        observed = b.observe(rec)
        left = str(observed.state) if observed is not None else str(State.REMOVED)
    except RcError:
        left = str(rec.state or State.CREATED)
    message, fix = exc.message, ""
    if "address already in use" in message.lower():  # rootlessport (4.x) or pasta (5.x) wording
        owners = port_owners(rec)
        if owners:
            message += "; " + "; ".join(
                f"port {port} is published by {name} ({state})" for port, name, state in owners
            )
            fix = f"stop {owners[0][1]} (rcontainer stop {owners[0][1]}) or publish another port in network.ports; "
        else:
            fix = "free the port, or publish another one in network.ports; "
    import shlex  # here: only a refused start quotes a file name

    profile = shlex.quote(rec.profile_path or rec.name)
    return OperationFailed(
        message,
        hint=f"{fix}{rec.name} is left {left}: retry with rcontainer start {rec.name}, "
        f"or rcontainer up {profile} once the profile is changed",
    )


def port_owners(rec: Record) -> list[tuple[str, str, str]]:
    """(host port, name, state) of rcontainer's other running or paused containers that
    publish a host port this container's profile asks for."""
    wanted = _host_ports(rec.profile)
    owners = []
    for other in store.all_records():
        if other.key == rec.key or other.state not in (State.RUNNING, State.PAUSED):
            continue
        for port in sorted(wanted & _host_ports(other.profile)):
            owners.append((str(port), other.name, str(other.state)))
    return owners


def _host_ports(profile: dict) -> set[int]:
    ports = (profile.get("network") or {}).get("ports") or []
    return {int(p["host_port"]) for p in ports if isinstance(p, dict) and p.get("host_port")}


def _pause(rec: Record, b: Backend) -> None:
    rec.pause_method = b.pause(rec)
    rec.paused_by_signal = rec.pause_method == "signal"


def _unpause(rec: Record, b: Backend) -> None:
    b.unpause(rec)
    rec.paused_by_signal = False


# what each operation does when the caller has nothing to add (stop, kill and create need
# arguments and bring their own)
DEFAULT_ACTS: dict[Op, Act] = {
    Op.START: _start,
    Op.PAUSE: _pause,
    Op.UNPAUSE: _unpause,
    Op.RM: lambda rec, b: b.remove(rec),
}


class Transitions:
    """Steps over the backends of one command (``backends(family)`` gives a family's backend)."""

    def __init__(self, backends: Callable[[str], Backend], notices: list[str] | None = None) -> None:
        self.backends = backends
        self.notices = notices if notices is not None else []

    def backend(self, rec: Record) -> Backend:
        return self.backends(rec.family)

    def record(
        self,
        rec: Record,
        to: State,
        *,
        by: str = "rcontainer",
        at: str | None = None,
        note: str | None = None,
    ) -> None:
        """Note a transition in the record and the events journal (the caller saves the record)."""
        previous = rec.state
        if previous == to:
            return
        entry = {"at": at or now_iso(), "from": str(previous) if previous else None, "to": str(to), "by": by}
        if note:
            entry["note"] = note
        rec.transitions.append(entry)
        rec.state = State(to)
        try:
            events.append({"name": rec.name, **({"project": rec.project} if rec.project else {}), **entry})
        except OSError as exc:  # the journal is a convenience: a full disk must not stop a change
            self.notices.append(f"could not append to the events journal: {exc.strerror}")

    def step(
        self,
        rec: Record,
        op: Op,
        act: Act | None = None,
        *,
        force: bool = False,
        note: str | None = None,
        by: str = "rcontainer",
    ) -> None:
        """Check ``op`` against the table, act, and record where the table says it leads (``by``:
        who asked: a command, or the ``monitor`` restarting a container that exited)."""
        check_transition(op, rec.state, rec.name, force=force, profile=rec.profile_path)
        (act or DEFAULT_ACTS[op])(rec, self.backend(rec))
        to = LEGAL[op][1]
        if to is None:
            self.reconcile(rec)  # kill: the runtime decides what became of it
        else:
            self.record(rec, to, note=note, by=by)

    def reconcile(self, rec: Record, observed: Observed | None = None, *, look: bool = True) -> State:
        """Bring the record in line with the runtime and return the state it is in."""
        current = State(rec.state or State.CREATED)
        if current == State.REMOVED:
            return current
        if observed is None and look:
            observed = self.backend(rec).observe(rec)
        seen = observed.state if observed is not None else State.REMOVED
        if seen != State.PAUSED:
            rec.paused_by_signal = False
        if seen != current:
            at = None
            if observed is not None and seen == State.STOPPED and observed.finished_at:
                at = observed.finished_at
            elif observed is not None and seen == State.RUNNING and observed.started_at:
                at = observed.started_at
            note = "noticed by rcontainer"
            if observed is not None and seen == State.STOPPED and observed.exit_code is not None:
                note += f"; exit code {observed.exit_code}"
            self.record(rec, seen, by="observed", at=normal_time(at), note=note)
            try:
                store.save(rec)
            except OperationFailed as exc:
                # Looking must work on a full disk too (ps, inspect, history): what the runtime
                # says is shown, and the record catches up at the next command that can write.
                self.notices.append(f"{exc.message}; shown as the runtime reports it")
        if observed is not None and observed.exit_code is not None:
            rec.exit_code = observed.exit_code
        return seen


def normal_time(value: str | int | None) -> str | None:
    """A runtime's timestamp in the records' format (RFC 3339, UTC, milliseconds); None when it
    has none. Podman's inspect gives Go's RFC 3339 in local time (year 1 for never), its list
    seconds since the epoch (-62135596800, year 1, for never), bwrap's supervisor ISO 8601."""
    if value is None:
        return None
    from datetime import UTC, datetime

    value = str(value).strip()
    if value.lstrip("-").isdigit():
        seconds = int(value)
        return (
            datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds") if seconds > 0 else None
        )
    if not value[:4].isdigit() or value.startswith("0001"):
        return None
    from rcontainer.logs import parse_time

    try:
        return (
            parse_time(value.replace(" ", "T", 1).split(" ")[0])
            .astimezone(UTC)
            .isoformat(timespec="milliseconds")
        )
    except ValueError:
        return None
