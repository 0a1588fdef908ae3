"""Runtime classes: a name a profile picks, mapped to the software that runs the container.

As Kubernetes' RuntimeClass: ``runtime: gvisor`` in a profile names a class; the class says
which family drives it (Podman with an OCI runtime, or bubblewrap run by rcontainer itself)
and with which handler. Built-in classes are below; users add their own in
``$XDG_CONFIG_HOME/rcontainer/runtimes.yaml``::

    traced:                      # a Podman runtime by name or absolute path
      runtime: /usr/local/bin/runc-traced
      flags: ["--debug"]         # optional, passed to the runtime by Podman
    sandbox:                     # a bubblewrap class with extra bwrap options
      bwrap: ["--unshare-cgroup-try"]

This module only knows names and families: it imports nothing heavy, so completion and
``validate`` can use it.
"""

from __future__ import annotations

import re
from pathlib import Path

from rcontainer import paths
from rcontainer.errors import BadInput, NotFound
from rcontainer.values import Value

PODMAN = "podman"
BWRAP = "bwrap"

NAME_RE = r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"  # text: only runtimes.yaml's names need it


class RuntimeClass(Value):
    """A runtime class: its ``family`` (PODMAN or BWRAP); ``handler``, the Podman runtime name or
    an absolute path (None: Podman's default); runtime ``flags`` (Podman family) or extra
    ``bwrap_args`` (bwrap family); ``kube_handler``, what a Kubernetes node would name in a
    RuntimeClass object (kube export); ``binaries``, the executables it needs on PATH."""

    __slots__ = (
        "name",
        "family",
        "handler",
        "flags",
        "bwrap_args",
        "builtin",
        "description",
        "kube_handler",
        "binaries",
    )

    def __init__(
        self,
        name: str,
        family: str,
        handler: str | None = None,
        flags: tuple[str, ...] = (),
        bwrap_args: tuple[str, ...] = (),
        builtin: bool = True,
        description: str = "",
        kube_handler: str | None = None,
        binaries: tuple[str, ...] = (),
    ) -> None:
        self.name = name
        self.family = family
        self.handler = handler
        self.flags = flags
        self.bwrap_args = bwrap_args
        self.builtin = builtin
        self.description = description
        self.kube_handler = kube_handler
        self.binaries = binaries


BUILTIN: dict[str, RuntimeClass] = {
    c.name: c
    for c in (
        RuntimeClass(
            "default",
            PODMAN,
            None,
            description="Podman's configured default runtime",
            kube_handler=None,
            binaries=("podman",),
        ),
        RuntimeClass(
            "runc",
            PODMAN,
            "runc",
            description="runc, the reference OCI runtime",
            kube_handler="runc",
            binaries=("podman", "runc"),
        ),
        RuntimeClass(
            "crun",
            PODMAN,
            "crun",
            description="crun, a fast OCI runtime in C",
            kube_handler="crun",
            binaries=("podman", "crun"),
        ),
        RuntimeClass(
            "gvisor",
            PODMAN,
            "runsc",
            description="gVisor: a user-space kernel sandbox",
            kube_handler="runsc",
            binaries=("podman", "runsc"),
        ),
        RuntimeClass(
            "kata",
            PODMAN,
            "kata-runtime",
            description="Kata Containers: lightweight VMs",
            kube_handler="kata",
            binaries=("podman", "kata-runtime"),
        ),
        RuntimeClass(
            "bwrap",
            BWRAP,
            "bwrap",
            description="bubblewrap, run by rcontainer with no daemon",
            kube_handler=None,
            binaries=("bwrap",),
        ),
    )
}


def _load_user_classes(path: Path) -> dict[str, RuntimeClass]:
    if not path.exists():
        return {}
    import yaml  # lazy: only when the user has the file

    try:
        data = yaml.safe_load(path.read_text()) or {}
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"{path}: cannot read: {exc}") from None
    except yaml.YAMLError as exc:
        raise BadInput(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise BadInput(f"{path}: expected a mapping of class name to definition")
    classes: dict[str, RuntimeClass] = {}
    for name, spec in data.items():
        where = f"{path}: key {name!r}"
        if not isinstance(name, str) or not re.match(NAME_RE, name):
            raise BadInput(f"{where}: expected a lowercase name of letters, digits and '-'")
        if name in BUILTIN:
            raise BadInput(f"{where}: {name!r} is a built-in class and cannot be redefined")
        if not isinstance(spec, dict):
            raise BadInput(f"{where}: expected a mapping with 'runtime' (and 'flags') or 'bwrap'")
        unknown = set(spec) - {"runtime", "flags", "bwrap", "description"}
        if unknown:
            raise BadInput(f"{where}: unknown key {sorted(unknown)[0]!r}; expected runtime, flags, bwrap")
        if ("runtime" in spec) == ("bwrap" in spec):
            raise BadInput(f"{where}: expected exactly one of 'runtime' (a Podman runtime) or 'bwrap'")
        desc = str(spec.get("description", ""))
        if "bwrap" in spec:
            args = spec["bwrap"] or []
            if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
                raise BadInput(f"{where}.bwrap: expected a list of bubblewrap options (strings)")
            classes[name] = RuntimeClass(
                name,
                BWRAP,
                "bwrap",
                bwrap_args=tuple(args),
                builtin=False,
                description=desc or "bubblewrap with extra options",
                binaries=("bwrap",),
            )
            continue
        runtime = spec["runtime"]
        if not isinstance(runtime, str) or not runtime:
            raise BadInput(f"{where}.runtime: expected a Podman runtime name or an absolute path")
        if "/" in runtime and not runtime.startswith("/"):
            raise BadInput(f"{where}.runtime: expected an absolute path, got {runtime!r}")
        flags = spec.get("flags") or []
        if not isinstance(flags, list) or not all(isinstance(f, str) for f in flags):
            raise BadInput(f"{where}.flags: expected a list of strings")
        classes[name] = RuntimeClass(
            name,
            PODMAN,
            runtime,
            flags=tuple(flags),
            builtin=False,
            description=desc or f"Podman with runtime {runtime}",
            kube_handler=Path(runtime).name,
            binaries=("podman", runtime),
        )
    return classes


def all_classes() -> dict[str, RuntimeClass]:
    """Built-in classes, then the user's."""
    return {**BUILTIN, **_load_user_classes(paths.runtimes_file())}


def names() -> list[str]:
    """Class names, for completion; never raises (a broken runtimes.yaml yields the built-ins)."""
    try:
        return list(all_classes())
    except BadInput:
        return list(BUILTIN)


def get(name: str) -> RuntimeClass:
    classes = all_classes()
    if name not in classes:
        import difflib

        close = difflib.get_close_matches(name, classes, n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"known classes: {', '.join(classes)}"
        raise NotFound(f"unknown runtime class {name!r}", hint=hint)
    return classes[name]
