"""The interface the engine drives. One implementation per runtime family.

A backend knows how to make a container do something and how to look at it; it knows nothing
of records' storage, locks or which transitions are legal (``rcontainer.engine`` does). ``rec``
is the container's ``Record``; a backend keeps what it needs in ``rec.backend`` and the engine
saves it. What a family cannot do it declares itself (``Capabilities``), so no caller ever asks
"which backend is this?".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Protocol

from rcontainer.container import Observed, Record
from rcontainer.values import Value

if TYPE_CHECKING:
    from rcontainer.runtimes import RuntimeClass


class Progress(Protocol):
    """How a pull or a build reports as it goes: the CLI draws it, the core never prints."""

    def output(self, text: str) -> None:
        """A piece of the build's own output as Podman streams it (its steps and what their
        commands print), newlines included."""

    def layer(self, layer: str, status: str, done: int | None = None, total: int | None = None) -> None:
        """A pulled layer's news: ``status`` in Podman's words (``Copying blob``, ``Downloading``,
        ``Download complete``, ...), with bytes ``done`` of ``total`` where the stream says them."""


class Unsupported(Value):
    """A profile value a family cannot honour: the profile loader refuses it, saying why.

    ``path`` names the field as problems do (``network.ports``); ``[]`` stands for each item
    of a list (``volumes[]``). ``when`` is asked about the field's resolved value (skipped when
    that value is invalid). ``reason`` is the message, formatted with ``value`` (the resolved
    value), ``runtime`` (the class's name) and ``default``. When the profile did not write the
    field, its default is what the family refuses: the problem points at ``runtime`` (the
    choice that made the default unsupported) and ``default`` names the default and
    ``default_fix``, when there is one; otherwise ``default`` is empty.
    """

    __slots__ = ("path", "when", "reason", "default_fix")

    def __init__(self, path: str, when: Callable[[Any], bool], reason: str, default_fix: str = "") -> None:
        self.path = path
        self.when = when
        self.reason = reason
        self.default_fix = default_fix


class Capabilities(Value):
    """What a family can do, declared beside it and readable without importing it.

    ``pause_method`` is what ``inspect`` shows before the first pause; ``orphans`` says whether
    a container can exist in the runtime without a record (a CLI killed between the runtime's
    create and the record's write), which the engine then cleans up through ``remove_orphan``;
    ``healthchecks``: it can run a profile's healthcheck (``run_healthcheck``); ``restarts``: the
    runtime itself restarts a container that exits, as its restart policy says (Podman does,
    through conmon's cleanup process, without systemd), so rcontainer's monitor must not;
    ``unsupported`` lists the profile values the family refuses, in the order they are checked.
    """

    __slots__ = ("pause_method", "orphans", "healthchecks", "unsupported", "restarts")

    def __init__(
        self,
        pause_method: str,
        orphans: bool,
        healthchecks: bool,
        unsupported: tuple[Unsupported, ...] = (),
        restarts: bool = False,
    ) -> None:
        self.pause_method = pause_method
        self.orphans = orphans
        self.healthchecks = healthchecks
        self.unsupported = unsupported
        self.restarts = restarts


class ExecOptions(Value):
    """How ``exec`` runs a process, with the meaning ``podman exec`` gives its options.

    ``tty``: on a terminal of its own (``-t``), relayed to the caller's; ``stdin``: the caller's
    standard input passed on (``-i``; always with a terminal); ``env`` added to the container's
    environment (``-e``, ``--env-file``); ``user`` (NAME, UID, NAME:GROUP or UID:GID) and
    ``workdir`` instead of the container's (``-u``, ``-w``)."""

    __slots__ = ("tty", "stdin", "env", "user", "workdir")

    def __init__(
        self,
        tty: bool = False,
        stdin: bool = False,
        env: dict[str, str] | None = None,
        user: str | None = None,
        workdir: str | None = None,
    ) -> None:
        self.tty = tty
        self.stdin = stdin
        self.env: dict[str, str] = {} if env is None else env
        self.user = user
        self.workdir = workdir

    def replaced(self, **changes: Any) -> ExecOptions:
        """A copy with ``changes``."""
        return ExecOptions(**{**{n: getattr(self, n) for n in self.__slots__}, **changes})


class ImageSource(Protocol):
    """Where images come from (Podman's image store); the bwrap family unpacks them."""

    def ensure(self, profile: dict[str, Any], progress: Progress | None) -> tuple[str, str]:
        """The profile's image reference and id, pulled or built as its pull policy says."""

    def local_id(self, ref: str) -> str | None:
        """The id of an image already present under ``ref``, without pulling; None if absent."""

    def pull(self, ref: str, progress: Progress | None) -> dict[str, Any]:
        """Pull ``ref``; what ``images`` shows of it, with ``reference``."""

    def build(self, build_spec: dict[str, Any], tag: str, progress: Progress | None) -> dict[str, Any]:
        """Build a profile's build section as ``tag``; what ``images`` shows of it."""

    def list(self) -> list[dict[str, Any]]:
        """Every image: tags, id, digest, layers, size."""

    def export_rootfs(self, image_id: str) -> Iterable[bytes]:
        """The image's root filesystem as a tar stream."""

    def config(self, image_id: str) -> dict[str, Any]:
        """The image's OCI config (Entrypoint, Cmd, Env, WorkingDir, User, ...)."""


class VolumeStore(Protocol):
    """Where named volumes live (Podman's volume store; the bwrap family cannot mount them)."""

    def ensure(self, name: str, labels: dict[str, str]) -> bool:
        """Make the volume ``name`` labelled ``labels`` unless it exists; whether it was made."""

    def get(self, name: str) -> dict[str, Any] | None:
        """The volume (name, driver, mountpoint, created_at, labels), or None."""

    def list(self, labels: dict[str, str]) -> list[dict[str, Any]]:
        """Every volume whose labels include ``labels``."""

    def users(self, name: str) -> list[dict[str, Any]]:
        """The containers, of any state and anyone's, that mount it: their runtime name, labels."""

    def remove(self, name: str) -> bool:
        """Remove it unless a container uses it; whether it was removed."""


class Backend(Protocol):
    family: str
    capabilities: Capabilities

    def ensure_image(self, profile: dict[str, Any], progress: Progress | None) -> tuple[str, str]:
        """The profile's image reference and id, as cheaply as this family can tell."""

    def create(
        self,
        rec: Record,
        profile: dict[str, Any],
        image: str,
        rclass: RuntimeClass,
        labels: dict[str, str],
    ) -> str:
        """Create the container from the resolved profile and the image id; return its id.

        ``rec.container_name`` and ``rec.log_path`` are set; ``labels`` mark it as
        rcontainer's (io.rcontainer.*)."""

    def start(self, rec: Record) -> None: ...

    def stop(self, rec: Record, timeout: int) -> None: ...

    def kill(self, rec: Record, signal: str) -> None: ...

    def pause(self, rec: Record) -> str:
        """Freeze every process; return the method used: ``freezer`` or ``signal``."""

    def unpause(self, rec: Record) -> None: ...

    def remove(self, rec: Record, stop_timeout: int | None = None) -> None:
        """Remove the container whatever its state (the engine has checked legality).

        With ``stop_timeout``, a running container is first stopped as ``stop`` stops it (its
        stop signal, then SIGKILL after that many seconds): ``down`` in one call where the
        runtime has one (Podman's ``DELETE ?force&timeout``, what ``podman rm -f -t N`` sends)."""

    def remove_orphan(self, rec: Record, owner: str) -> bool:
        """Remove the container of ``rec``'s name that the runtime has but no record points at
        (a create interrupted before its record was written); True when one was removed. Only a
        container labelled with the same ``owner`` (the state folder) is removed: another
        folder's container is never taken over."""

    def ensure_network(self, name: str, labels: dict[str, str]) -> bool:
        """Make the network ``name`` (labelled ``labels``) unless it exists; whether containers
        on it reach each other by name (its DNS)."""

    def remove_network(self, name: str, ours: dict[str, str]) -> bool:
        """Remove the network ``name`` if its labels include ``ours`` (rcontainer made it) and no
        container uses it; whether it was removed."""

    def limits_unenforced(self) -> str | None:
        """Why resource limits (memory, cpus, pids) cannot be enforced here, or None."""

    def observe(self, rec: Record) -> Observed | None:
        """The container's state now, or None when it no longer exists."""

    def observe_all(self, recs: list[Record], scope: str) -> dict[str, Observed]:
        """Observe many containers in one call; keyed by ``PROJECT/NAME`` (``Record.key``)."""

    def wait(self, rec: Record, timeout: float | None) -> int | None:
        """Wait for the container to stop; its exit code (None on timeout)."""

    def run_healthcheck(self, rec: Record) -> None:
        """Run the container's healthcheck once now (its result shows in ``observe``)."""

    def exec(self, rec: Record, argv: list[str], how: ExecOptions) -> int:
        """Run a process in the running container, attached to this process's standard streams
        as ``how`` says, passing on the signals this process gets (``attach.FORWARDED``) to
        the process's group; the process's exit code (128 + N when signal N ended it)."""
