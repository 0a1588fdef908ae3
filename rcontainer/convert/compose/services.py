"""What a service runs: its name, image or build, command, environment, runtime and metadata."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from rcontainer.convert.compose.service import Service, boolean
from rcontainer.convert.compose.variables import has_variable
from rcontainer.convert.loss import shown
from rcontainer.errors import BadInput

_SECRET_NAME = re.compile(r"(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY)", re.IGNORECASE)

# Compose runtime names -> rcontainer runtime classes.
RUNTIMES = {
    "runc": "runc",
    "crun": "crun",
    "runsc": "gvisor",
    "gvisor": "gvisor",
    "kata": "kata",
    "kata-runtime": "kata",
    "io.containerd.kata.v2": "kata",
    "io.containerd.runsc.v1": "gvisor",
    "bwrap": "bwrap",
}

# Compose pull_policy -> profile pull.
PULL = {"always": "always", "never": "never", "missing": "missing", "if_not_present": "missing"}


def name(s: Service) -> None:
    container_name = s.resolved("container_name", s.get("container_name", str, "a container name"))
    wanted = container_name or s.service
    profile_name = re.sub(r"[^a-z0-9_.-]", "-", wanted.lower()).lstrip("_.-")[:63] or "service"
    if profile_name != wanted:
        s.lose("container_name" if container_name else "name", f"{wanted!r} → profile name {profile_name!r}")
    s.p["name"] = profile_name


def image(s: Service) -> None:
    ref = s.get("image", str, "an image reference")
    build = s.spec.get("build")
    if build is not None:
        s.p["build"] = _build(s, build)
        if ref:
            s.lose(
                "image",
                f"{ref!r} dropped: the profile builds its image (tagged localhost/rcontainer/{s.p['name']}:latest)",
            )
    elif ref:
        s.p["image"] = ref
    else:
        raise BadInput(f"{shown(s.file)}: services.{s.service}: expected 'image' or 'build', found neither")
    policy = s.get("pull_policy", str, "a pull policy")
    if policy:
        if policy in PULL:
            s.p["pull"] = PULL[policy]
        elif policy == "build":
            s.lose("pull_policy", "build → the profile builds its image when it is missing")
        else:
            s.lose("pull_policy", f"{policy!r} dropped: expected always, never, missing")


def _build(s: Service, build: Any) -> Any:
    if isinstance(build, str):
        build = {"context": build}
    if not isinstance(build, dict):
        raise s.bad("build", "a context folder or a mapping", build)
    context = build.get("context", ".")
    if not isinstance(context, str):
        raise s.bad(("build", "context"), "a folder", context)
    if re.match(r"^[a-z]+://|^git@", context):
        raise BadInput(
            f"{shown(s.file)}: services.{s.service}.build.context: a remote context ({shown(context)}) is not"
            " supported; clone it and give the folder"
        )
    out: dict[str, Any] = {"context": s.path(context, ("build", "context"))}
    dockerfile = build.get("dockerfile", "Dockerfile")  # Compose's default, not the profile's
    if not isinstance(dockerfile, str):
        raise s.bad(("build", "dockerfile"), "a file name", dockerfile)
    out["containerfile"] = dockerfile
    args = build.get("args")
    if args is not None:
        out["args"] = s.pairs(args, ("build", "args"), from_env=True)
    for key in build:
        if key not in ("context", "dockerfile", "args") and not str(key).startswith("x-"):
            s.lose(f"build.{key}", "dropped: profiles build with context, containerfile and args only")
    return out


def commands(s: Service) -> None:
    for key in ("command", "entrypoint"):
        value = s.spec.get(key)
        if value is None:
            continue
        if isinstance(value, str):
            s.p[key] = value
        elif isinstance(value, list) and all(isinstance(x, str | int | float) for x in value):
            s.p[key] = [str(x) for x in value]
        else:
            raise s.bad(key, "a command line or a list of strings", value)


def environment(s: Service) -> None:
    env_files = s.spec.get("env_file")
    if env_files is not None:
        items = env_files if isinstance(env_files, list) else [env_files]
        paths = []
        for i, item in enumerate(items):
            required = True
            if isinstance(item, dict):
                required = boolean(item.get("required", True)) is not False
                item = item.get("path")
            if not isinstance(item, str):
                raise s.bad(("env_file", i), "a file name", item)
            if not required and not (s.compose_dir / item).exists():
                s.lose(f"env_file[{i}]", f"{item} dropped: optional and missing")
                continue
            paths.append(s.path(item, ("env_file", i)))
            if not has_variable(item):
                _read_alike(s, s.compose_dir / os.path.expanduser(item), f"env_file[{i}]")
        if paths:
            s.p["env_file"] = paths
    env = s.spec.get("environment")
    if env is None:
        return
    values = s.pairs(env, ("environment",), from_env=True)
    out: dict[str, Any] = {}
    for key, value in values.items():
        if _SECRET_NAME.search(key):
            out[key] = {"value": value if isinstance(value, str) else str(value), "secret": True}
            s.lose(f"environment.{key}", "marked secret: true (the name looks like a secret)")
        else:
            out[key] = value
    s.p["env"] = out


def _read_alike(s: Service, file: Path, where: str) -> None:
    """Note the variables of an env file that Compose reads otherwise than a profile does.

    Compose interpolates ``$`` in an env file and reads its quotes and escapes its own way; a
    profile reads it as Podman does. A file either cannot read is left for validation to report.
    """
    from rcontainer.profile import dotenv
    from rcontainer.profile.envfiles import read_env_file
    from rcontainer.profile.schema import Ctx, Node

    try:
        composes = dotenv.read(file, s.environ)
    except (OSError, dotenv.DotenvError):
        return
    ctx = Ctx()
    ours = read_env_file(str(file), Node(None, str(file), 1, 1), (), ctx, s.environ)
    if ctx.problems:
        return
    differ = sorted(k for k in {**composes, **ours} if composes.get(k) != ours.get(k))
    if differ:
        s.lose(
            where,
            f"{', '.join(differ)}: Compose reads {'this' if len(differ) == 1 else 'these'} otherwise ($, quotes or"
            " escapes), a profile reads the file as Podman does: give the value in 'environment' instead",
        )


def runtime(s: Service) -> None:
    wanted = s.get("runtime", str, "a runtime name")
    if wanted is None:
        return
    from rcontainer import runtimes

    rclass = RUNTIMES.get(wanted)
    if rclass is None:
        classes = runtimes.all_classes()
        rclass = wanted if wanted in classes else None
        if rclass is None:
            for rc in classes.values():
                if rc.handler and (rc.handler == wanted or Path(rc.handler).name == wanted):
                    rclass = rc.name
                    break
    if rclass is None:
        s.lose("runtime", f"{wanted!r} dropped: no runtime class runs it (see rcontainer runtimes)")
        return
    s.p["runtime"] = rclass


def tty(s: Service) -> None:
    if s.spec.get("tty") is not None:
        s.p["tty"] = boolean(s.spec["tty"])


def metadata(s: Service) -> None:
    for key in ("labels", "annotations"):
        if s.spec.get(key) is not None:
            s.p[key] = s.pairs(s.spec[key], (key,), from_env=False)


def user(s: Service) -> None:
    value = s.spec.get("user")
    if value is not None:
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise s.bad("user", "a user like '1000' or 'nobody:nogroup'", value)
        s.p["user"] = str(value)


def working_dir(s: Service) -> None:
    workdir = s.get("working_dir", str, "an absolute path")
    if workdir:
        s.p["workdir"] = workdir
