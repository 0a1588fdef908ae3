"""Joining a running container's namespaces to run a process in it (``exec``).

bwrap leaves no handle to enter a container by, so ``exec`` does what ``nsenter`` would: it
opens the namespaces of the container's init, and a forked child joins them and forks the
command. Unlike nsenter 2.38, it enters bwrap's nested user namespaces outermost first
(``_user_ns_chain``), so it works for a container whose user is not root.
"""

from __future__ import annotations

import fcntl
import os
import signal as signals
import sys

from rcontainer.backends.bwrap.procs import send
from rcontainer.errors import OperationFailed


def run_in(pid: int, spec_args: list[str], argv: list[str], env: dict[str, str]) -> int:
    """Run ``argv`` in the container whose init is ``pid`` and whose bwrap arguments are
    ``spec_args``, as the container's processes run: its environment (``env`` over it), its
    working folder, its network namespace unless it shares the host's. Its exit code."""
    options = spec_args[: spec_args.index("--")]
    cenv = _env_from_args(spec_args)
    cenv.update(env)
    workdir = options[options.index("--chdir") + 1] if "--chdir" in options else "/"
    return join_and_run(pid, argv, cenv, workdir, net="--unshare-net" in options)


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


def join_and_run(pid: int, argv: list[str], env: dict[str, str], workdir: str, *, net: bool) -> int:
    """Run ``argv`` inside the namespaces of ``pid`` with this process's stdio; its exit code.

    A child joins the namespaces (setns needs a single-threaded process, and the CLI must stay
    where it is) and forks the command, which is then inside the PID namespace too.
    """
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    try:
        users = _user_ns_chain(pid)
        kinds = ["ipc", "uts"] + (["net"] if net else []) + ["cgroup", "pid", "mnt"]
        others = [os.open(f"/proc/{pid}/ns/{k}", os.O_RDONLY | os.O_CLOEXEC) for k in kinds]
    except OSError as exc:
        raise OperationFailed(f"cannot open the namespaces of process {pid}: {exc.strerror}") from None
    sys.stdout.flush()
    sys.stderr.flush()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the forked child
        code = 126
        try:
            order = [users[0], *others, *users[1:]]
            for fd in order:
                if libc.setns(fd, 0) != 0:
                    err = ctypes.get_errno()
                    name = os.readlink(f"/proc/self/fd/{fd}")
                    os.write(2, f"rcontainer: cannot join {name}: {os.strerror(err)}\n".encode())
                    os._exit(126)
            try:
                os.chdir(workdir)
            except OSError:
                os.chdir("/")
            grandchild = os.fork()
            if grandchild == 0:
                try:
                    os.execvpe(argv[0], argv, env)
                except OSError as exc:
                    os.write(2, f"rcontainer: cannot run {argv[0]}: {exc.strerror}\n".encode())
                    os._exit(127)
            signal_forward = [signals.SIGINT, signals.SIGTERM, signals.SIGHUP, signals.SIGQUIT]
            for sig in signal_forward:
                signals.signal(sig, lambda s, f: send(grandchild, s))
            _, status = os.waitpid(grandchild, 0)
            code = os.waitstatus_to_exitcode(status)
            code = 128 - code if code < 0 else code
        finally:
            os._exit(code)
    for fd in users + others:
        os.close(fd)
    while True:
        try:
            _, status = os.waitpid(child, 0)
            break
        except InterruptedError:  # pragma: no cover - PEP 475 retries; kept for clarity
            continue
    code = os.waitstatus_to_exitcode(status)
    return 128 - code if code < 0 else code
