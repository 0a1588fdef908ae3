"""The project's own errors and the exit statuses they map to.

The core raises these; only ``rcontainer.cli.main`` turns them into a message and an exit
status, so a user never sees a traceback for a known failure.
"""

from __future__ import annotations

from enum import IntEnum


class ExitStatus(IntEnum):
    """Documented exit statuses (README, "Exit statuses")."""

    OK = 0
    ERROR = 1  # an operation failed (Podman refused, a process failed, ...)
    BAD_INPUT = 2  # bad profile, bad argument, bad configuration file
    NOT_FOUND = 3  # no such container, profile or image
    ILLEGAL_TRANSITION = 4  # the container's state does not allow the operation
    BUSY = 5  # another rcontainer holds the container's lock
    NO_PODMAN = 6  # no Podman service answers on the socket
    RUNTIME_UNAVAILABLE = 7  # the runtime class cannot run here
    CHECK_FAILED = 8  # doctor found a problem the user's profiles need fixed
    ROOT_REFUSED = 9  # run as root without --allow-root
    INTERRUPTED = 130


class RcError(Exception):
    """Base of every error rcontainer expects; carries its exit status and an optional hint."""

    status: ExitStatus = ExitStatus.ERROR

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class BadInput(RcError):
    status = ExitStatus.BAD_INPUT


class NotFound(RcError):
    status = ExitStatus.NOT_FOUND


class IllegalTransition(RcError):
    status = ExitStatus.ILLEGAL_TRANSITION


class Busy(RcError):
    status = ExitStatus.BUSY


class PodmanUnavailable(RcError):
    status = ExitStatus.NO_PODMAN


class RuntimeUnavailable(RcError):
    status = ExitStatus.RUNTIME_UNAVAILABLE


class CheckFailed(RcError):
    status = ExitStatus.CHECK_FAILED


class RootRefused(RcError):
    status = ExitStatus.ROOT_REFUSED


class OperationFailed(RcError):
    status = ExitStatus.ERROR
