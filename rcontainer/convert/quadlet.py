"""Quadlet export: a profile as a Podman Quadlet ``NAME.container`` file (Podman 4.4 or later).

    generated = quadlet_text(profile)
    generated.text     # the file, for ~/.config/containers/systemd/
    generated.losses   # every field Quadlet cannot express, one Loss each

``ROWS`` maps each profile field to its Quadlet key and a formatter; a field Quadlet 4.4 has
no key for becomes a ``podman run`` option on the one ``PodmanArgs=`` line. Keys come out in
the table's order. The ``[Unit]`` and ``[Service]`` settings (restarts, stop timeout) are the
ones a generated systemd unit uses (``rcontainer.systemd.unit``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from rcontainer import __version__, runtimes
from rcontainer.convert.loss import Loss
from rcontainer.errors import NotFound
from rcontainer.profile import Profile
from rcontainer.systemd.syntax import command_line, comment, raw, seconds, text, word
from rcontainer.systemd.unit import RESTART_SEC, STOP_MARGIN, Generated, container_name, restart_settings

ARGS = "PodmanArgs"  # the key of `podman run` options, for fields Quadlet 4.4 has no key for
# Keys whose values Quadlet splits into words, undoing quotes (and C escapes, except in the
# capability lists, whose names hold none): their formatters quote with ``syntax.word``. Every
# other key's value is read as it is to the end of its line, which ``syntax.raw`` guards.
WORDS = frozenset({"Exec", "Environment", "Volume", "AddCapability", "DropCapability", "Label", "Annotation"})

# network: private writes no Network= line: the container gets Podman's default rootless
# network (pasta from Podman 5, slirp4netns before), as rcontainer up gives it.
_NETWORK = {"none": "none", "host": "host", "pasta": "pasta", "slirp4netns": "slirp4netns"}


@dataclass(frozen=True)
class Row:
    """One profile field and the Quadlet key it becomes."""

    field: str  # dotted: "network.ports" is data["network"]["ports"]
    key: str | None  # the Quadlet key, ARGS, or None: ``fmt`` gives (key, value) pairs itself
    fmt: Callable[[Any], Iterable[Any]]  # the field's value -> the key's values (none: no key)
    default: Any = None  # the value when the profile has no such field


def quadlet_name(name: str) -> str:
    return f"{container_name(name)}.container"


def _option(flag: str) -> Callable[[Any], list[str]]:
    """A ``podman run`` option with the field's value, when it is set."""
    return lambda v: [f"{flag}={v}"] if v else []


def _each(flag: str) -> Callable[[Any], list[str]]:
    """A ``podman run`` option per item of the field's list."""
    return lambda v: [f"{flag}={item}" for item in v or []]


def _if(value: str) -> Callable[[Any], list[str]]:
    """``value`` when the field is true."""
    return lambda v: [value] if v else []


def _pairs(v: dict[str, Any] | None) -> list[str]:
    """``KEY=VALUE`` words. Quadlet passes them to ``podman run`` on the ExecStart= line of the
    service it generates, where systemd expands ``$``: so ``$`` is doubled, unlike in a unit's
    own Environment= (``syntax.assignment``)."""
    return [word(f"{key}={value}") for key, value in (v or {}).items()]


def _group(user: Any) -> list[str]:
    group = str(user).partition(":")[2] if user else ""
    return [group] if group else []


def _idmaps(userns: Any) -> list[str]:
    if not isinstance(userns, dict):
        return []
    return [f"--uidmap={m}" for m in userns.get("uidmap") or []] + [
        f"--gidmap={m}" for m in userns.get("gidmap") or []
    ]


def _port(p: dict[str, Any]) -> str:
    host_ip = p.get("host_ip") or ""
    if ":" in host_ip:
        host_ip = f"[{host_ip}]"
    prefix = f"{host_ip}:" if host_ip else ""
    return f"{prefix}{p['host_port']}:{p['container_port']}/{p.get('protocol', 'tcp')}"


def _mounts(volumes: list[dict[str, Any]] | None) -> list[tuple[str, str]]:
    """``Volume=`` and ``Tmpfs=`` lines, in the profile's order."""
    out = []
    for v in volumes or []:
        if v["type"] == "tmpfs":
            opts = []
            if v.get("size"):
                opts.append(f"size={int(v['size'])}")
            if v.get("mode") is not None:
                opts.append(f"mode={int(v['mode']):o}")
            if v.get("read_only"):
                opts.append("ro")
            out.append(("Tmpfs", v["target"] + (f":{','.join(opts)}" if opts else "")))
            continue
        opts = [o for o in ("ro" if v.get("read_only") else "", v.get("selinux") or "") if o]
        spec = f"{v['source']}:{v['target']}" + (f":{','.join(opts)}" if opts else "")
        out.append(("Volume", word(spec)))
    return out


def _health_cmd(test: list[str] | None) -> list[str]:
    if test is None:  # no healthcheck
        return []
    if not test or test[0] == "NONE":
        return ["none"]
    if test[0] == "CMD-SHELL":
        return [" ".join(test[1:])]
    return [json.dumps(list(test))]  # Podman reads a JSON array as the CMD form


def _duration(v: Any) -> list[str]:
    return [] if v is None else [seconds(float(v))]


ROWS: tuple[Row, ...] = (
    Row("image", "Image", lambda v: [v or ""]),
    Row("pull", ARGS, lambda v: [f"--pull={v}"] if v and v != "missing" else []),
    Row("entrypoint", ARGS, lambda v: [f"--entrypoint={json.dumps(list(v))}"] if v is not None else []),
    Row("command", "Exec", lambda v: [command_line(list(v))] if v else []),
    Row("workdir", ARGS, _option("--workdir")),
    Row("user", "User", lambda v: [str(v).partition(":")[0]] if v else []),
    Row("user", "Group", _group),
    Row("userns", "UserNS", lambda v: [v] if isinstance(v, str) and v else []),
    Row("userns", ARGS, _idmaps),
    Row("env", "Environment", _pairs),  # without the secret values: see _losses
    Row("network.mode", "Network", lambda v: [_NETWORK[v]] if v in _NETWORK else []),
    Row("network.ports", "PublishPort", lambda v: [_port(p) for p in v or []]),
    Row("network.hostname", ARGS, _option("--hostname")),
    Row("network.dns", ARGS, _each("--dns")),
    Row(
        "network.add_hosts",
        ARGS,
        lambda v: [
            f"--add-host={host}:{ip}"
            for host, ips in (v or {}).items()
            for ip in ([ips] if isinstance(ips, str) else ips)  # one address, or several
        ],
    ),
    Row("volumes", None, _mounts),
    Row("resources.memory", ARGS, lambda v: [f"--memory={int(v)}"] if v else []),
    Row("resources.cpus", ARGS, lambda v: [f"--cpus={v:g}"] if v else []),
    Row("resources.pids", ARGS, lambda v: [f"--pids-limit={int(v)}"] if v else []),
    Row(
        "ulimits",
        ARGS,
        lambda v: [f"--ulimit={k}={lim['soft']}:{lim['hard']}" for k, lim in (v or {}).items()],
    ),
    Row("healthcheck.test", "HealthCmd", _health_cmd),
    Row("healthcheck.interval", "HealthInterval", _duration),
    Row("healthcheck.timeout", "HealthTimeout", _duration),
    Row("healthcheck.retries", "HealthRetries", lambda v: [] if v is None else [str(int(v))]),
    Row("healthcheck.start_period", "HealthStartPeriod", _duration),
    Row("stop_signal", ARGS, lambda v: [f"--stop-signal={v}"] if v and v != "SIGTERM" else []),
    Row("stop_timeout", ARGS, lambda v: [f"--stop-timeout={int(v)}"], default=10),
    Row("read_only", "ReadOnly", _if("true")),
    Row("cap_add", "AddCapability", lambda v: [word(c) for c in v or []]),
    Row("cap_drop", "DropCapability", lambda v: [word(c) for c in v or []]),
    Row("no_new_privileges", "NoNewPrivileges", lambda v: ["true" if v else "false"], default=True),
    Row("privileged", ARGS, _if("--privileged")),
    Row("tty", ARGS, _if("--tty")),
    Row("labels", "Label", _pairs),
    Row("annotations", "Annotation", _pairs),
)


def _value(data: dict[str, Any], field: str, default: Any) -> Any:
    value: Any = data
    for part in field.split("."):
        if not isinstance(value, dict):
            return None  # under a field that is unset (no healthcheck, say)
        if part not in value:
            return default
        value = value[part]
    return value


def _container_lines(data: dict[str, Any]) -> list[str]:
    """The ``[Container]`` section's lines for the profile's (resolved) data."""
    lines: list[str] = []
    args: list[str] = []
    for row in ROWS:
        produced = row.fmt(_value(data, row.field, row.default))
        pairs = produced if row.key is None else [(row.key, value) for value in produced]
        for key, value in pairs:
            if key == ARGS:
                args.append(value)
            elif key in WORDS:
                lines.append(f"{key}={value}")
            else:
                lines.append(f"{key}={raw(value, row.field)}")
    if args:
        lines.append(f"{ARGS}={command_line(args)}")
    return lines


def _losses(profile: Profile) -> list[Loss]:
    data = profile.data
    losses: list[Loss] = []

    def lose(field: str, what: str) -> None:
        losses.append(Loss(profile.name, field, what))

    if data.get("build"):
        lose(
            "build", "Quadlet 4.x runs an existing image; build it first (rcontainer build) and keep its tag"
        )
    for field in ("home", "host"):
        if data.get(field):
            lose(
                field,
                "a dev shell's, made by rcontainer at create; dropped (add the mounts as Volume= by hand)",
            )
    if not data.get("image"):
        lose("image", "the profile names no image (it builds one); set Image= by hand")
    try:
        rclass = runtimes.get(profile.runtime)
    except NotFound:
        rclass = None
    if rclass is not None and rclass.family != runtimes.PODMAN:
        lose("runtime", f"{rclass.name} runs under bubblewrap; Quadlet always runs Podman")
    elif rclass is not None and (rclass.handler or rclass.flags):
        # --runtime is a global podman option, before `run`; PodmanArgs= go after it.
        lose(
            "runtime",
            f"class {rclass.name} (OCI runtime {rclass.handler}) needs `podman --runtime`,"
            " which Quadlet 4.4 cannot set; Podman's default runtime is used",
        )
    for key in data.get("env") or {}:
        if key in profile.secret_env:
            lose(
                f"env.{key}",
                "a secret; left out rather than written in clear into the unit"
                f" (use a Podman secret: Secret=NAME,type=env,target={key})",
            )
    lose(
        "records and logs",
        "Podman and systemd run this container, not rcontainer, so rcontainer"
        " ps/logs/history do not see it (its output goes to the journal)",
    )
    return losses


def quadlet_text(profile: Profile) -> Generated:
    """A Podman Quadlet ``NAME.container`` file, and the profile fields it cannot express."""
    data = dict(profile.data)
    data["env"] = {k: v for k, v in (data.get("env") or {}).items() if k not in profile.secret_env}
    name = profile.name
    restart, burst = restart_settings(str(data.get("restart") or "no"))
    stop_timeout = int(data.get("stop_timeout", 10))
    path = str(profile.path)
    lines = [
        comment(f"{quadlet_name(name)}: generated by rcontainer {__version__} from {path}"),
        "# A Podman Quadlet file (Podman 4.4 or later). Put it in ~/.config/containers/systemd/, then:",
        f"#   systemctl --user daemon-reload && systemctl --user start {name}.service",
        "# For a container that keeps running after you log out: loginctl enable-linger $USER",
        "[Unit]",
        f"Description={text(f'rcontainer profile {name} ({path}) via Podman Quadlet')}",
    ]
    if burst is not None:
        lines += [f"StartLimitBurst={burst}", f"StartLimitIntervalSec={burst * (RESTART_SEC + 60)}"]
    lines += ["", "[Container]", *_container_lines(data), "", "[Service]", f"Restart={restart}"]
    if restart != "no":
        lines.append(f"RestartSec={RESTART_SEC}")
    lines += [
        f"TimeoutStopSec={stop_timeout + STOP_MARGIN}",
        "",
        "[Install]",
        "WantedBy=default.target",
        "",
    ]
    return Generated(quadlet_name(name), "\n".join(lines), _losses(profile))
