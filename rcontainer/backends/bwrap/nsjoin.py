"""Joining a running container to run a process in it (``exec``), with the container's privileges.

bwrap leaves no handle to enter a container by, so ``exec`` does what ``nsenter`` would: it
opens the namespaces of the container's init, and a forked child joins them, takes on exactly
the init's privileges (``privileges``: joining a user namespace grants every capability in
it), and forks the command, which is then inside the PID namespace too. Unlike nsenter 2.38,
it enters bwrap's nested user namespaces outermost first (``_user_ns_chain``), so it works for
a container whose user is not root.

The command never shares the caller's terminal as its controlling terminal (``terminal``):
it runs in a session of its own, on a pseudo-terminal of its own when interactive.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal as signals
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rcontainer.backends import attach
from rcontainer.backends.attach import FORWARDED
from rcontainer.backends.bwrap import terminal
from rcontainer.backends.bwrap.privileges import (
    Privileges,
    apply_ulimits,
    die_with_parent,
    of_process,
    take_on,
)
from rcontainer.backends.bwrap.procs import send
from rcontainer.errors import OperationFailed, RuntimeUnavailable
from rcontainer.values import Value

if TYPE_CHECKING:
    from rcontainer.backends.base import ExecOptions


def run_in(
    pid: int,
    spec: dict[str, Any],
    argv: list[str],
    how: ExecOptions,
    *,
    secrets: dict[str, str],
    cgroup: str | None = None,
) -> int:
    """Run ``argv`` in the container whose init is ``pid`` and whose ``spec.json`` is ``spec``,
    as the container's processes run: its environment (with its ``secrets``; ``$TERM`` from the
    caller on a terminal; ``how.env`` over all), its working folder (or ``how.workdir``, which
    must exist), its network namespace unless it shares the host's, its ulimits and cgroup.
    ``how.user`` must be the container's own user (``check_user``). Its exit code."""
    spec_args = spec["args"]
    options = spec_args[: spec_args.index("--")]
    if how.user:
        check_user(pid, how.user, options)
    cenv = _env_from_args(spec_args)
    cenv.update(secrets)
    if how.tty:
        cenv["TERM"] = os.environ.get("TERM") or cenv.get("TERM") or "xterm"
    cenv.update(how.env)
    workdir = options[options.index("--chdir") + 1] if "--chdir" in options else "/"
    return join_and_run(
        pid,
        argv,
        cenv,
        how.workdir or workdir,
        net="--unshare-net" in options,
        tty=how.tty,
        stdin=how.stdin or how.tty,
        strict_workdir=bool(how.workdir),
        ulimits=spec.get("ulimits") or {},
        cgroup=cgroup,
    )


def check_user(pid: int, user: str, options: list[str]) -> None:
    """Refuse ``exec -u USER`` for any user but the container's own: bubblewrap maps a single
    uid and gid into the container (``--uid``, ``--gid``), so no other user exists in it to
    switch to (Podman maps a range of sub-ids). USER is looked up in the container's own
    /etc/passwd and /etc/group, as Podman does."""
    from rcontainer.backends.bwrap.argv import resolve_user

    uid, gid, _ = resolve_user(Path(f"/proc/{pid}/root/etc"), user)
    own = (int(_option(options, "--uid", "0")), int(_option(options, "--gid", "0")))
    if (uid, gid) != own:
        raise RuntimeUnavailable(
            f"exec -u {user}: user {uid}:{gid} does not exist in a bubblewrap container, which "
            f"maps only its own user ({own[0]}:{own[1]})",
            hint="leave -u out, or use a Podman runtime class to run other users",
        )


def _option(options: list[str], name: str, default: str) -> str:
    return options[options.index(name) + 1] if name in options else default


def _env_from_args(args: list[str]) -> dict[str, str]:
    env: dict[str, str] = {}
    end = args.index("--") if "--" in args else len(args)
    i = 0
    while i < end:
        if args[i] == "--setenv":
            env[args[i + 1]] = args[i + 2]
            i += 3
            continue
        i += 1
    return env


NS_GET_PARENT = 0xB702  # _IO(0xb7, 0x2), linux/nsfs.h


def _user_ns_chain(pid: int) -> list[int]:
    """File descriptors of the user namespaces to enter, outermost first.

    bwrap with ``--uid`` other than 0 nests a second user namespace inside the one it set the
    mounts up in: the container's mount, IPC, UTS and network namespaces belong to the outer
    one, so it must be entered first (``nsenter`` 2.38 enters only the innermost and then
    fails with EPERM), the inner one last."""
    inner = os.open(f"/proc/{pid}/ns/user", os.O_RDONLY | os.O_CLOEXEC)
    own = os.stat("/proc/self/ns/user").st_ino
    try:
        parent = fcntl.ioctl(inner, NS_GET_PARENT)
    except OSError:
        return [inner]
    if os.fstat(parent).st_ino == own:
        os.close(parent)
        return [inner]
    return [parent, inner]


class _Forwarder:
    """Passes a signal on to ``target``; one that arrives before the target exists is passed
    on as soon as it does. exec forwards to the joined child, which forwards to the command's
    process group (a negative ``target``), as a terminal would: the command is in a session of
    its own, where the caller's terminal cannot reach it, and ``sh -c`` leaves its children
    in its group."""

    def __init__(self) -> None:
        self.target: int | None = None
        self.pending: list[int] = []

    def __call__(self, sig: int, _frame: object) -> None:
        if self.target is None:
            self.pending.append(sig)
        else:
            send(self.target, sig)

    def to(self, pid: int) -> None:
        self.target = pid
        for sig in self.pending:
            send(pid, sig)
        self.pending.clear()


@contextlib.contextmanager
def _forwarding(forward: _Forwarder) -> Iterator[None]:
    """Ctrl-C, SIGTERM, a hangup or SIGQUIT to exec go to ``forward`` meanwhile."""
    previous = {sig: signals.signal(sig, forward) for sig in FORWARDED}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signals.signal(sig, handler)


def join_and_run(
    pid: int,
    argv: list[str],
    env: dict[str, str],
    workdir: str,
    *,
    net: bool,
    tty: bool = False,
    stdin: bool = True,
    strict_workdir: bool = False,
    ulimits: dict[str, Any] | None = None,
    cgroup: str | None = None,
) -> int:
    """Run ``argv`` inside the container of ``pid`` with its privileges; its exit code.

    A child joins the namespaces (setns needs a single-threaded process, and the CLI must stay
    where it is), takes on the init's privileges and forks the command. With ``tty`` the child
    opens a pseudo-terminal in the container and hands its master over a socket; this process
    relays it to the caller's terminal. Without, the command keeps this process's stdout and
    stderr, and its stdin when ``stdin`` (else /dev/null), but not its terminal (a session of
    its own). A ``workdir`` that does not exist fails with 127, as Podman's runtime does, when
    ``strict_workdir`` (asked for with ``exec -w``); else the command starts in /."""
    privileges = of_process(pid)
    try:
        users = _user_ns_chain(pid)
        kinds = ["ipc", "uts"] + (["net"] if net else []) + ["cgroup", "pid", "mnt"]
        others = [os.open(f"/proc/{pid}/ns/{k}", os.O_RDONLY | os.O_CLOEXEC) for k in kinds]
    except OSError as exc:
        raise OperationFailed(f"cannot open the namespaces of process {pid}: {exc.strerror}") from None
    size = attach.caller_size() if tty else None
    ours, theirs = socket.socketpair() if tty else (None, None)
    null = None if stdin or tty else os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC)
    sys.stdout.flush()
    sys.stderr.flush()
    forward = _Forwarder()  # the child inherits it and forwards to the command in turn
    with _forwarding(forward):
        child = os.fork()
        if child == 0:  # pragma: no cover - runs in the forked child
            forward.pending.clear()  # exec passes those on itself
            if ours is not None:
                ours.close()
            if null is not None:
                os.dup2(null, 0)
            joining = _Joining(
                [users[0], *others, *users[1:]], privileges, argv, env, workdir, strict_workdir
            )
            _joined_child(joining, ulimits or {}, cgroup, theirs, size, forward)
        forward.to(child)
        for fd in users + others + ([null] if null is not None else []):
            os.close(fd)
        if ours is not None and theirs is not None:
            theirs.close()
            _relay_terminal(ours, child)
        while True:
            try:
                _, status = os.waitpid(child, 0)
                break
            except InterruptedError:  # pragma: no cover - PEP 475 retries; kept for clarity
                continue
    code = os.waitstatus_to_exitcode(status)
    return 128 - code if code < 0 else code


def _relay_terminal(sock: socket.socket, child: int) -> None:
    """Receive the pseudo-terminal's master from the child and relay it; nothing to relay when
    the child failed before sending one (it has said why)."""
    try:
        _, fds, _, _ = socket.recv_fds(sock, 1, 1)
    finally:
        sock.close()
    if not fds:
        return
    master = fds[0]
    pidfd = os.pidfd_open(child)
    try:
        terminal.relay(master, pidfd)
    finally:
        os.close(pidfd)
        os.close(master)


class _Joining(Value):
    """What the joined child needs: the namespaces to enter in order, the privileges to take
    on, and the command with its environment and working folder."""

    __slots__ = ("ns_fds", "privileges", "argv", "env", "workdir", "strict_workdir")

    def __init__(
        self,
        ns_fds: list[int],
        privileges: Privileges,
        argv: list[str],
        env: dict[str, str],
        workdir: str,
        strict_workdir: bool,
    ) -> None:
        self.ns_fds = ns_fds
        self.privileges = privileges
        self.argv = argv
        self.env = env
        self.workdir = workdir
        self.strict_workdir = strict_workdir


def _fail(message: str, code: int = 126) -> None:  # pragma: no cover - in the forked child
    os.write(2, f"rcontainer: {message}\n".encode())
    os._exit(code)


def _joined_child(  # pragma: no cover - runs in the forked child
    j: _Joining,
    ulimits: dict[str, Any],
    cgroup: str | None,
    sock: socket.socket | None,
    size: bytes | None,
    forward: _Forwarder,
) -> None:
    """Join, take on the container's privileges, fork the command, wait, exit with its code."""
    import ctypes

    code = 126
    parent = os.getppid()
    try:
        # a process group of its own: a signal from the caller's terminal reaches exec alone,
        # which forwards it once
        os.setpgid(0, 0)
        try:
            apply_ulimits(ulimits)
        except (OSError, ValueError) as exc:
            _fail(f"cannot apply the container's ulimits: {exc}")
        if cgroup:  # the container's freezer must hold its exec'd processes too
            with contextlib.suppress(OSError):
                Path(cgroup, "cgroup.procs").write_text(str(os.getpid()))
        libc = ctypes.CDLL(None, use_errno=True)
        for fd in j.ns_fds:
            if libc.setns(fd, 0) != 0:
                err = ctypes.get_errno()
                _fail(f"cannot join {os.readlink(f'/proc/self/fd/{fd}')}: {os.strerror(err)}")
            os.close(fd)
        try:
            take_on(j.privileges)
        except OSError as exc:
            _fail(f"cannot take on the container's privileges: {exc.strerror}")
        try:
            os.chdir(j.workdir)
        except OSError as exc:
            if j.strict_workdir:
                _fail(f"cannot change to {j.workdir}: {exc.strerror}", 127)
            os.chdir("/")
        slave = None
        if sock is not None:
            try:
                master, slave = terminal.open_pair(size)
                socket.send_fds(sock, [b"t"], [master])
            except OSError as exc:
                _fail(f"cannot open a terminal in the container: {exc.strerror or exc}")
            os.close(master)
            sock.close()
        command = os.fork()
        if command == 0:
            # as subprocess does: the command starts with the signal dispositions a program
            # expects (Python ignores SIGPIPE and SIGXFSZ; ignoring survives exec)
            for sig in (*FORWARDED, signals.SIGPIPE, signals.SIGXFSZ):
                signals.signal(sig, signals.SIG_DFL)
            os.setsid()  # no controlling terminal: the caller's is out of reach (TIOCSTI)
            if slave is not None:
                terminal.make_controlling(slave)
            try:
                os.execvpe(j.argv[0], j.argv, j.env)
            except OSError as exc:
                _fail(f"cannot run {j.argv[0]}: {exc.strerror}", 127)
        if slave is not None:
            os.close(slave)
        forward.to(-command)  # the command's group: it is the leader of its own session
        die_with_parent(signals.SIGHUP)  # exec killed: the command gets a hangup, as from a terminal
        if os.getppid() != parent:
            send(-command, signals.SIGHUP)
        _, status = os.waitpid(command, 0)
        code = os.waitstatus_to_exitcode(status)
        code = 128 - code if code < 0 else code
    finally:
        os._exit(code)
