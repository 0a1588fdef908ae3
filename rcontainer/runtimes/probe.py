"""Can this host run a runtime class? Found out by trying, and remembered.

A class is usable when its binaries are installed *and* a tiny container really runs with it:
crun 1.8, for one, is installed on cgroup-hybrid hosts yet refuses every container ("cgroups
in hybrid mode not supported"), which only an attempt reveals. Each family makes its own
attempt: the Podman family's is ``rcontainer.backends.podman.probe``, bubblewrap's is below.

Results are cached in ``paths.cache_dir()/runtime-probes.json`` under a key made of the class
definition, the handler binary's path, size and mtime, and the Podman version: a changed
binary or an upgraded Podman is probed again. ``check_usable`` is the cheap part (binaries,
and a probe's remembered verdict) that the lifecycle calls before creating anything.

This module never prints; the Podman family's probe is imported only when a probe really runs.
"""

from __future__ import annotations

import contextlib
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rcontainer import paths, runtimes
from rcontainer.errors import OperationFailed, RuntimeUnavailable
from rcontainer.files import read_json, write_json_atomic
from rcontainer.runtimes import RuntimeClass
from rcontainer.values import Value

CACHE_VERSION = 1
# Where Podman's default containers.conf looks for OCI runtimes, besides PATH.
EXTRA_BIN_DIRS = ("/usr/local/sbin", "/usr/sbin", "/sbin", "/usr/libexec/podman", "/usr/lib/cri-o-runc/sbin")


class RuntimeStatus(Value):
    """What ``rcontainer runtimes`` shows for one class: ``usable`` None when it could not be
    probed (no image, no Podman service), ``reason`` why not usable (or why not probed)."""

    __slots__ = (
        "name",
        "family",
        "handler",
        "description",
        "builtin",
        "usable",
        "reason",
        "handler_path",
        "probed_at",
        "cached",
    )

    def __init__(
        self,
        name: str,
        family: str,
        handler: str | None,
        description: str,
        builtin: bool,
        usable: bool | None,
        reason: str | None,
        handler_path: str | None = None,
        probed_at: str | None = None,
        cached: bool = False,
    ) -> None:
        self.name = name
        self.family = family
        self.handler = handler
        self.description = description
        self.builtin = builtin
        self.usable = usable
        self.reason = reason
        self.handler_path = handler_path
        self.probed_at = probed_at
        self.cached = cached

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}


def cache_file() -> Path:
    return paths.cache_dir() / "runtime-probes.json"


def find_binary(name: str) -> str | None:
    """The executable Podman would find for ``name``: an absolute path as given, else PATH and
    the sbin folders (runc lives in /usr/sbin on Debian, outside a normal user's PATH).

    The search is ``shutil.which``'s, written out: importing shutil (with bz2 and lzma) cost
    ~2 ms of every ``up``, which asks this for ``podman``."""
    if name.startswith("/"):
        return name if _executable(name) else None
    for folder in dict.fromkeys([*os.environ.get("PATH", os.defpath).split(os.pathsep), *EXTRA_BIN_DIRS]):
        candidate = os.path.join(folder, name)
        if _executable(candidate):
            return candidate
    return None


def _executable(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


def missing_binaries(rclass: RuntimeClass) -> list[str]:
    return [b for b in rclass.binaries if find_binary(b) is None]


def _missing_reason(missing: list[str]) -> str:
    what = ", ".join(missing)
    where = (
        "does not exist or is not executable"
        if all(m.startswith("/") for m in missing)
        else "not found on PATH"
    )
    return f"{what} {where}" if len(missing) == 1 else f"{what}: {where}"


def check_usable(rclass: RuntimeClass) -> None:
    """Refuse a class whose binaries are missing, or that a probe found unusable and nothing
    has changed since (cheap: no probe, no Podman call; the cache is read, and for a class the
    cache says is unusable ``podman --version`` runs, to be sure the answer is still current).

    Raises RuntimeUnavailable (exit status 7) naming what is missing or what the probe saw,
    before anything is pulled, started or created.
    """
    missing = missing_binaries(rclass)
    if missing:
        raise RuntimeUnavailable(
            f"runtime class {rclass.name!r} cannot run here: {_missing_reason(missing)}",
            hint="rcontainer runtimes lists the classes this host can run",
        )
    reason = known_unusable(rclass)
    if reason is not None:
        raise RuntimeUnavailable(
            f"runtime class {rclass.name!r} cannot run here: {reason}",
            hint="rcontainer runtimes lists the classes this host can run; after fixing the host, "
            "rcontainer runtimes --refresh probes again",
        )


def known_unusable(rclass: RuntimeClass) -> str | None:
    """Why a probe found the class unusable, when the cache says so and its key (the class, its
    binary, the Podman version) still holds; None otherwise (usable, or never probed)."""
    entry = _read_cache().get(rclass.name)
    if not isinstance(entry, dict) or entry.get("usable") is not False:
        return None
    version = None
    if rclass.family == runtimes.PODMAN:
        from rcontainer.backends.podman import probe as podman_probe

        version = podman_probe.podman_version(find_binary("podman"))
    if entry.get("key") != cache_key(rclass, version):
        return None
    return str(entry.get("reason") or "a probe found it unusable")


# -- cache -------------------------------------------------------------------------------------


def handler_path(rclass: RuntimeClass) -> str | None:
    """The binary that does the work: the OCI runtime, bwrap, or podman for the default class."""
    return find_binary(rclass.handler or "podman")


def cache_key(rclass: RuntimeClass, podman_version: str | None) -> dict[str, Any]:
    """Everything whose change should trigger a new probe."""
    path = handler_path(rclass)
    st = None
    if path:
        with contextlib.suppress(OSError):
            st = os.stat(path)
    return {
        "family": rclass.family,
        "handler": rclass.handler,
        "flags": list(rclass.flags),
        "bwrap_args": list(rclass.bwrap_args),
        "path": path,
        "size": st.st_size if st else None,
        "mtime_ns": st.st_mtime_ns if st else None,
        "podman": podman_version if rclass.family == runtimes.PODMAN else None,
    }


def _read_cache() -> dict[str, Any]:
    try:
        data = read_json(cache_file())
    except OperationFailed:
        return {}  # a damaged cache is only a cache
    if not isinstance(data, dict) or data.get("version") != CACHE_VERSION:
        return {}
    return data.get("probes") or {}


def _write_cache(probes: dict[str, Any]) -> None:
    # a cache that cannot be written costs a probe next time, not this command
    with contextlib.suppress(OperationFailed):
        write_json_atomic(cache_file(), {"version": CACHE_VERSION, "probes": probes})


# -- probes ------------------------------------------------------------------------------------


def probe_bwrap(rclass: RuntimeClass) -> tuple[bool, str | None]:
    """Run ``true`` in a fresh set of namespaces with bubblewrap."""
    import subprocess  # here: ``up`` reads the probe's cache and runs none (~1.5 ms)

    bwrap = find_binary(rclass.handler or "bwrap") or "bwrap"
    argv = [
        bwrap,
        "--unshare-all",
        "--die-with-parent",
        "--ro-bind",
        "/",
        "/",
        "--proc",
        "/proc",
        "--dev",
        "/dev",
    ]
    argv += [*rclass.bwrap_args, "true"]
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.SubprocessError) as exc:
        return False, f"bwrap could not run: {exc}"
    if proc.returncode != 0:
        text = proc.stderr.strip() or f"exit status {proc.returncode}"
        return False, f"bwrap refused: {text}"
    return True, None


def probe(rclass: RuntimeClass, *, autostart: bool) -> tuple[bool | None, str | None]:
    missing = missing_binaries(rclass)
    if missing:
        return False, _missing_reason(missing)
    if rclass.family == runtimes.BWRAP:
        return probe_bwrap(rclass)
    from rcontainer.backends.podman import probe as podman_probe

    return podman_probe.probe_podman(rclass, autostart=autostart)


def statuses(
    classes: dict[str, RuntimeClass] | None = None, *, refresh: bool = False, autostart: bool = True
) -> list[RuntimeStatus]:
    """Every class (built-in, then the user's) with whether it runs here and why not.

    Cached results are used unless ``refresh`` or the class's key changed. A class whose
    binaries are missing is never probed (and its result is not worth caching: the check is
    cheaper than the cache).
    """
    classes = runtimes.all_classes() if classes is None else classes
    cache = _read_cache()
    version: str | None = None
    version_known = False
    out: list[RuntimeStatus] = []
    dirty = False
    for rclass in classes.values():
        status = RuntimeStatus(
            name=rclass.name,
            family=rclass.family,
            handler=rclass.handler,
            description=rclass.description,
            builtin=rclass.builtin,
            usable=None,
            reason=None,
            handler_path=handler_path(rclass),
        )
        out.append(status)
        missing = missing_binaries(rclass)
        if missing:
            status.usable, status.reason = False, _missing_reason(missing)
            continue
        if rclass.family == runtimes.PODMAN and not version_known:
            from rcontainer.backends.podman import probe as podman_probe

            version, version_known = podman_probe.podman_version(find_binary("podman")), True
        key = cache_key(rclass, version)
        entry = cache.get(rclass.name)
        if not refresh and isinstance(entry, dict) and entry.get("key") == key:
            status.usable, status.reason = entry.get("usable"), entry.get("reason")
            status.probed_at, status.cached = entry.get("probed_at"), True
            continue
        t0 = time.monotonic()
        status.usable, status.reason = probe(rclass, autostart=autostart)
        status.probed_at = datetime.now(UTC).isoformat(timespec="seconds")
        if status.usable is not None:  # "could not probe" is not an answer worth keeping
            cache[rclass.name] = {
                "key": key,
                "usable": status.usable,
                "reason": status.reason,
                "probed_at": status.probed_at,
                "seconds": round(time.monotonic() - t0, 3),
            }
            dirty = True
    if dirty:
        _write_cache(cache)
    return out
