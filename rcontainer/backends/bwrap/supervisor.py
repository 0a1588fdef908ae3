"""The small detached process that runs one bubblewrap container.

``python -m rcontainer.backends.bwrap.supervisor CONTAINER_DIR START_ID``, or a fork of the CLI
running ``run`` (``launch.start``): in a session of its own, so the CLI can exit. It runs ``bwrap`` (options read from ``spec.json``,
with the secret variables' values read from its standard input, handed over in memory through
``--args FD``: environment values never show in a command line other users can read, and
secret ones never touch a file), writes the container's stdout/stderr to the log (0600) in
k8s-file format,
and keeps ``runtime.json`` current: its pid, bwrap's, the container's init pid (bwrap's
``child-pid``), their start times, whether the command has been exec'd, and at the end the
exit code. bwrap runs with ``--die-with-parent``: if this process is killed, the container
dies with it, and the backend then reports it stopped.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rcontainer.backends.bwrap import cgroup as cgroups
from rcontainer.backends.bwrap.framing import LogWriter
from rcontainer.backends.bwrap.privileges import apply_ulimits
from rcontainer.backends.bwrap.procs import boot_id, read_stat
from rcontainer.backends.bwrap.status import RuntimeFile

EXEC_WATCH = 10.0  # seconds to look for bwrap exec'ing the command


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _options_file(options: list[str]) -> int:
    """bwrap's options, NUL-separated, in an anonymous file in memory (never on disk: they
    carry the secret values); the descriptor, at offset 0, for ``--args``."""
    fd = os.memfd_create("bwrap-args", 0)
    data = memoryview(b"\0".join(a.encode() for a in options) + b"\0")
    while data:
        data = data[os.write(fd, data) :]
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def open_log(path: str) -> int:
    """The container's log, appended to, the user's alone (an older rcontainer made it 0644)."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    os.fchmod(fd, 0o600)
    return fd


def main(argv: list[str]) -> int:
    secrets: dict[str, str] = json.loads(sys.stdin.buffer.read() or b"{}")
    return run(Path(argv[1]), argv[2], secrets)


def run(cdir: Path, start_id: str, secrets: dict[str, str]) -> int:
    """Supervise the container of ``cdir`` until it ends (in a process of its own: this one,
    started as above, or a fork of the CLI, ``launch.start``)."""
    spec = json.loads((cdir / "spec.json").read_text())
    for sig in (signal.SIGHUP, signal.SIGINT, signal.SIGPIPE):
        signal.signal(sig, signal.SIG_IGN)
    me = read_stat(os.getpid())
    rt = RuntimeFile(
        cdir,
        {
            "start_id": start_id,
            "boot_id": boot_id(),
            "supervisor_pid": os.getpid(),
            "supervisor_start": me.starttime if me else None,
            "started_at": _now(),
        },
    )
    apply_ulimits(spec.get("ulimits") or {})
    cgroup = cgroups.make(spec.get("id", start_id))

    # bwrap reads its options from a file; the command must stay on the real command line:
    # bwrap stops parsing --args content at "--"
    split = spec["args"].index("--")
    options, command = spec["args"][:split], spec["args"][split:]
    for key, value in secrets.items():
        options += ["--setenv", key, value]
    if any("\0" in a for a in options):  # validation refuses them; a NUL would split an option
        rt.update(
            durable=True,
            setup_error="an option or variable holds a NUL byte",
            exit_code=127,
            finished_at=_now(),
        )
        return 1
    argfile = _options_file(options)
    status_r, status_w = os.pipe()

    def enter_cgroup() -> None:  # in the child, before exec: no window where it is outside
        if cgroup is not None:
            with contextlib.suppress(OSError):
                (cgroup / "cgroup.procs").write_text(str(os.getpid()))

    try:
        proc = subprocess.Popen(
            [spec["bwrap"], "--args", str(argfile), "--json-status-fd", str(status_w), *command],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            pass_fds=(argfile, status_w),
            env={},
            cwd="/",
            preexec_fn=enter_cgroup if cgroup is not None else None,  # noqa: PLW1509 - single-threaded
        )
    except OSError as exc:
        rt.update(durable=True, setup_error=f"cannot run bwrap: {exc}", exit_code=127, finished_at=_now())
        return 1
    os.close(status_w)
    os.close(argfile)
    bstat = read_stat(proc.pid)
    rt.update(
        bwrap_pid=proc.pid,
        bwrap_start=bstat.starttime if bstat else None,
        cgroup=str(cgroup) if cgroup else None,
    )

    def on_term(signum, frame) -> None:  # noqa: ANN001 - signal handler signature
        # asked to go: take the container down with us, then record its end as usual
        init = rt.data.get("init_pid")
        if init:
            with contextlib.suppress(ProcessLookupError):
                os.kill(init, signal.SIGKILL)

    signal.signal(signal.SIGTERM, on_term)

    log = open(open_log(spec["log_path"]), "a", encoding="utf-8")  # noqa: SIM115 - open for our lifetime

    def rotate(current):  # noqa: ANN001, ANN202 - a text file in, a text file out
        """Keep one older file (LOG.old, which ``logs`` reads before LOG; Podman's rotation keeps
        none): bounded on disk. The log path never goes missing (a reader following it sees the
        new file at once): the old file is linked as LOG.old, then a fresh empty file is renamed
        over LOG."""
        current.close()
        path = spec["log_path"]
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path + ".old.tmp")
        os.link(path, path + ".old.tmp")
        os.replace(path + ".old.tmp", path + ".old")
        fresh = open_log(path + ".new")
        os.replace(path + ".new", path)
        return open(fresh, "a", encoding="utf-8")  # noqa: SIM115

    logw = LogWriter(log, max_bytes=spec.get("log_max_bytes"), rotate=rotate)
    sel = selectors.DefaultSelector()
    assert proc.stdout is not None and proc.stderr is not None
    streams = {proc.stdout.fileno(): "stdout", proc.stderr.fileno(): "stderr"}
    pending_status = b""
    for fd, name in streams.items():
        os.set_blocking(fd, False)
        sel.register(fd, selectors.EVENT_READ, name)
    sel.register(status_r, selectors.EVENT_READ, "status")
    bwrap_errors: list[str] = []
    exit_code: int | None = None
    watch_until = time.monotonic() + EXEC_WATCH
    open_fds = 3

    def write_lines(stream: str, chunk: bytes, final: bool) -> None:
        for text in logw.write(stream, chunk, final=final):
            if stream == "stderr" and not rt.data.get("exec_seen") and text.startswith("bwrap: "):
                bwrap_errors.append(text)

    def on_status(chunk: bytes) -> None:
        nonlocal exit_code, pending_status
        *docs, pending_status = (pending_status + chunk).split(b"\n")
        for doc in docs:
            with contextlib.suppress(ValueError):
                info = json.loads(doc)
                if "child-pid" in info:
                    pid = int(info["child-pid"])
                    st = read_stat(pid)
                    rt.update(init_pid=pid, init_start=st.starttime if st else None)
                if "exit-code" in info:
                    exit_code = int(info["exit-code"])

    while open_fds:
        watching = not rt.data.get("exec_seen") and rt.data.get("init_pid") and time.monotonic() < watch_until
        for key, _ in sel.select(timeout=0.001 if watching else None):
            name = key.data
            try:
                chunk = os.read(key.fd, 65536)
            except BlockingIOError:
                continue
            if not chunk:
                sel.unregister(key.fd)
                open_fds -= 1
                if name != "status":
                    write_lines(name, b"", True)
                continue
            if name == "status":
                on_status(chunk)
            else:
                write_lines(name, chunk, False)
        if watching:
            # bwrap's child keeps the name "bwrap" until it execs the command
            st = read_stat(rt.data["init_pid"])
            if st is not None and st.comm != "bwrap":
                rt.update(exec_seen=True)
    code = proc.wait()
    if exit_code is None:
        exit_code = code if code >= 0 else 128 - code
    log.close()
    fields: dict[str, Any] = {"exit_code": exit_code, "finished_at": _now()}
    if not rt.data.get("exec_seen") and bwrap_errors and exit_code != 0:
        fields["setup_error"] = "; ".join(bwrap_errors)
    rt.update(durable=True, **fields)
    if cgroup is not None:
        with contextlib.suppress(OSError):
            cgroup.rmdir()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
