"""Compose import: the services of a Compose file as rcontainer profiles.

    result = import_compose(Path("compose.yaml"), output_dir=Path("profiles"))
    result.written     # the profile files, one NAME.yaml per service
    result.notes       # every Compose key with no (or only an approximate) equivalent

``convert`` is the pure part: a parsed Compose document in, profile mappings and notes out.
``import_compose`` reads the file, converts, writes each profile next to its siblings under
a temporary name, loads it back with ``load_profile`` (a profile rcontainer itself rejects is
never written), and only then moves every file into place: all or nothing.

``${VAR}`` strings are kept as they are: profiles interpolate the same way Compose does, when
they are loaded. Relative paths in Compose are relative to the Compose file's folder; in a
profile, to the profile's folder: they are rewritten for where the profile is written.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rcontainer.errors import BadInput

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
_VOLUME_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
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

# Service keys with no profile equivalent, and what to tell the user about them.
DROPPED = {
    "depends_on": "dropped: profiles start on their own; start the services it names first",
    "links": "dropped: each profile has its own network; reach other services through published ports",
    "external_links": "dropped: each profile has its own network",
    "networks": "dropped: each profile has its own network; reach other services through published ports",
    "secrets": "dropped: no secret mounts (give them as env with secret: true, or a read-only bind)",
    "configs": "dropped: no config mounts (use a read-only bind of the file)",
    "scale": "dropped: a profile is one container",
    "profiles": "dropped: every imported service is its own profile",
    "extends": "dropped: use the profile's own 'extends' with a base profile",
    "expose": "dropped: other profiles reach a container through published ports only",
    "volumes_from": "dropped: mount the same volumes instead",
    "logging": "dropped: rcontainer keeps its own logs",
    "devices": "dropped: no device mounts",
    "sysctls": "dropped: no sysctls",
    "pid": "dropped: no pid namespace sharing",
    "ipc": "dropped: no ipc namespace sharing",
    "shm_size": "dropped: no /dev/shm size",
    "init": "dropped: no init process",
    "group_add": "dropped: no supplementary groups",
    "platform": "dropped: the host's platform is used",
    "dns_search": "dropped: no DNS search domains",
    "dns_opt": "dropped: no DNS options",
    "stdin_open": "dropped: 'tty: true' keeps stdin open",
    "develop": "dropped: no watch mode",
    "post_start": "dropped: no lifecycle hooks",
    "pre_stop": "dropped: no lifecycle hooks",
}

PROFILE_KEYS = (
    "name", "image", "build", "pull", "command", "entrypoint", "workdir", "user", "userns",
    "env_file", "env", "network", "volumes", "runtime", "resources", "ulimits", "healthcheck",
    "restart", "stop_signal", "stop_timeout", "read_only", "cap_add", "cap_drop",
    "no_new_privileges", "privileged", "labels", "annotations", "tty",
)  # fmt: skip


@dataclass(frozen=True)
class Note:
    """A Compose key imported only approximately, or not at all."""

    service: str
    key: str
    what: str

    def __str__(self) -> str:
        return f"{self.service}: {self.key}: {self.what}"


@dataclass
class ImportResult:
    written: list[Path] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    profiles: dict[str, dict[str, Any]] = field(default_factory=dict)  # service -> profile mapping


# ---------------------------------------------------------------------------------------------
# Reading the file


class _Lines:
    """Line numbers of keys in the Compose file, for error messages."""

    def __init__(self, root: Any) -> None:
        self.root = root

    def of(self, *path: str | int) -> int | None:
        import yaml

        node = self.root
        line = node.start_mark.line + 1 if node is not None else None
        for key in path:
            if isinstance(node, yaml.MappingNode):
                for k, v in node.value:
                    if k.value == key:
                        node, line = v, k.start_mark.line + 1
                        break
                else:
                    return line
            elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
                node = node.value[key]
                line = node.start_mark.line + 1
            else:
                return line
        return line


def read_compose(path: Path) -> tuple[dict[str, Any], _Lines]:
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        from rcontainer.errors import NotFound

        raise NotFound(f"no Compose file {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not UTF-8 text"
        raise BadInput(f"{path}: cannot read: {reason}") from None
    try:
        data = yaml.safe_load(text)
        lines = _Lines(yaml.compose(text, Loader=yaml.SafeLoader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        problem = getattr(exc, "problem", None) or str(exc)
        raise BadInput(f"{where}: not valid YAML: {problem}") from None
    if not isinstance(data, dict) or not isinstance(data.get("services"), dict):
        raise BadInput(
            f"{path}: expected a Compose file with a 'services' mapping at the top level",
            hint="the old version-1 format (services at the top level) is not supported",
        )
    return data, lines


# ---------------------------------------------------------------------------------------------
# Converting


def convert(
    compose: dict[str, Any],
    *,
    file: Path,
    output_dir: Path,
    services: list[str] | None = None,
    lines: _Lines | None = None,
) -> tuple[dict[str, dict[str, Any]], list[Note]]:
    """Profiles (service name -> profile mapping) for the Compose document, and the notes."""
    all_services = compose["services"]
    wanted = list(all_services) if services is None else services
    for name in wanted:
        if name not in all_services:
            raise BadInput(
                f"{file}: no service {name!r}",
                hint=f"services: {', '.join(map(str, all_services)) or 'none'}",
            )
    notes: list[Note] = []
    top_volumes = compose.get("volumes") or {}
    if not isinstance(top_volumes, dict):
        raise _bad(file, lines, ("volumes",), "a mapping of volume names", top_volumes)
    for key in ("networks", "secrets", "configs"):
        if compose.get(key):
            notes.append(Note(file.name, key, "top-level definitions dropped (see each service's notes)"))
    for vname, spec in top_volumes.items():
        if isinstance(spec, dict) and (spec.get("driver") or spec.get("driver_opts")):
            notes.append(Note(file.name, f"volumes.{vname}", "driver and driver_opts dropped: local volumes"))
    out: dict[str, dict[str, Any]] = {}
    names: dict[str, str] = {}
    for service in wanted:
        spec = all_services[service]
        if spec is None:
            spec = {}
        if not isinstance(spec, dict):
            raise _bad(file, lines, ("services", service), "a mapping of service settings", spec)
        conv = _Service(
            str(service), spec, file=file, output_dir=output_dir, lines=lines, top_volumes=top_volumes
        )
        profile = conv.convert()
        if profile["name"] in names:
            raise BadInput(
                f"{file}: services {names[profile['name']]!r} and {service!r} both become profile"
                f" {profile['name']!r}",
                hint="import them one at a time with --service, into different folders",
            )
        names[profile["name"]] = str(service)
        out[str(service)] = profile
        notes += conv.notes
    return out, notes


def _bad(file: Path, lines: _Lines | None, path: tuple[str | int, ...], expected: str, got: Any) -> BadInput:
    line = lines.of(*path) if lines else None
    where = f"{file}:{line}" if line else str(file)
    key = ".".join(str(p) for p in path)
    return BadInput(f"{where}: {key}: expected {expected}, got {_found(got)}")


def _found(value: Any) -> str:
    from rcontainer.profile.schema import found  # one way to describe a bad value, as profiles do

    return found(value)


class _Service:
    def __init__(
        self,
        service: str,
        spec: dict[str, Any],
        *,
        file: Path,
        output_dir: Path,
        lines: _Lines | None,
        top_volumes: dict[str, Any],
    ) -> None:
        self.service = service
        self.spec = spec
        self.file = file
        self.compose_dir = file.parent.absolute()
        self.output_dir = output_dir.absolute()
        self.lines = lines
        self.top_volumes = top_volumes
        self.notes: list[Note] = []
        self.p: dict[str, Any] = {}

    # -- helpers -------------------------------------------------------------------------------
    def note(self, key: str, what: str) -> None:
        self.notes.append(Note(self.service, key, what))

    def bad(self, key: str | tuple[str | int, ...], expected: str, got: Any) -> BadInput:
        path = (key,) if isinstance(key, str) else key
        return _bad(self.file, self.lines, ("services", self.service, *path), expected, got)

    def get(self, key: str, types: type | tuple[type, ...], expected: str) -> Any:
        value = self.spec.get(key)
        if value is None:
            return None
        if isinstance(value, bool) and bool not in (types if isinstance(types, tuple) else (types,)):
            raise self.bad(key, expected, value)
        if not isinstance(value, types):
            raise self.bad(key, expected, value)
        return value

    def path(self, text: str) -> str:
        """A Compose path (relative to the Compose file) as a profile path (relative to the profile)."""
        if text.startswith(("/", "~", "$")):
            return text
        absolute = os.path.normpath(self.compose_dir / text)
        rel = os.path.relpath(absolute, self.output_dir)
        if rel.split(os.sep)[:3] == [os.pardir] * 3:
            return absolute  # far apart: an absolute path reads better than ../../../
        return rel if rel.startswith("..") else f"./{rel}" if rel != "." else "."

    # -- the conversion ------------------------------------------------------------------------
    def convert(self) -> dict[str, Any]:
        handled = {
            "image", "build", "pull_policy", "command", "entrypoint", "environment", "env_file",
            "ports", "volumes", "tmpfs", "healthcheck", "restart", "runtime", "userns_mode",
            "deploy", "mem_limit", "memswap_limit", "cpus", "pids_limit", "cap_add", "cap_drop",
            "read_only", "stop_signal", "stop_grace_period", "labels", "annotations", "hostname",
            "domainname", "dns", "extra_hosts", "network_mode", "user", "working_dir", "tty",
            "privileged", "container_name", "security_opt", "ulimits", "networks",
        }  # fmt: skip
        self.name()
        self.image()
        self.commands()
        self.environment()
        self.network()
        self.volumes()
        self.resources()
        self.healthcheck()
        self.restart()
        self.runtime()
        self.simple()
        for key in self.spec:
            if not isinstance(key, str):
                raise self.bad(str(key), "a string key", key)
            if key in handled or key.startswith("x-"):
                continue
            self.note(key, DROPPED.get(key, "dropped: profiles have no equivalent"))
        return {k: self.p[k] for k in PROFILE_KEYS if k in self.p}

    def name(self) -> None:
        container_name = self.get("container_name", str, "a container name")
        wanted = container_name or self.service
        name = wanted.lower()
        name = re.sub(r"[^a-z0-9_.-]", "-", name).lstrip("_.-")[:63] or "service"
        if name != wanted:
            self.note("container_name" if container_name else "name", f"{wanted!r} → profile name {name!r}")
        self.p["name"] = name

    def image(self) -> None:
        image = self.get("image", str, "an image reference")
        build = self.spec.get("build")
        if build is not None:
            self.p["build"] = self.build(build)
            if image:
                self.note(
                    "image",
                    f"{image!r} dropped: the profile builds its image (tagged localhost/rcontainer/{self.p['name']}:latest)",
                )
        elif image:
            self.p["image"] = image
        else:
            raise BadInput(
                f"{self.file}: services.{self.service}: expected 'image' or 'build', found neither"
            )
        policy = self.get("pull_policy", str, "a pull policy")
        if policy:
            mapped = {"always": "always", "never": "never", "missing": "missing", "if_not_present": "missing"}
            if policy in mapped:
                self.p["pull"] = mapped[policy]
            elif policy == "build":
                self.note("pull_policy", "build → the profile builds its image when it is missing")
            else:
                self.note("pull_policy", f"{policy!r} dropped: expected always, never, missing")

    def build(self, build: Any) -> Any:
        if isinstance(build, str):
            return self.path(build)
        if not isinstance(build, dict):
            raise self.bad("build", "a context folder or a mapping", build)
        context = build.get("context", ".")
        if not isinstance(context, str):
            raise self.bad(("build", "context"), "a folder", context)
        if re.match(r"^[a-z]+://|^git@", context):
            raise BadInput(
                f"{self.file}: services.{self.service}.build.context: a remote context ({context}) is not"
                " supported; clone it and give the folder"
            )
        out: dict[str, Any] = {"context": self.path(context)}
        dockerfile = build.get("dockerfile")
        if dockerfile is not None:
            if not isinstance(dockerfile, str):
                raise self.bad(("build", "dockerfile"), "a file name", dockerfile)
            out["containerfile"] = dockerfile
        args = build.get("args")
        if args is not None:
            out["args"] = self.pairs(args, ("build", "args"), from_env=True)
        for key in build:
            if key not in ("context", "dockerfile", "args") and not str(key).startswith("x-"):
                self.note(f"build.{key}", "dropped: profiles build with context, containerfile and args only")
        return out

    def pairs(self, value: Any, where: tuple[str, ...], *, from_env: bool) -> dict[str, Any]:
        """A Compose list (``KEY=VALUE``) or mapping; a key without value comes from the environment."""
        out: dict[str, Any] = {}
        if isinstance(value, list):
            for i, item in enumerate(value):
                if not isinstance(item, str):
                    raise self.bad((*where, i), "a 'KEY=VALUE' string", item)
                key, eq, val = item.partition("=")
                out[key] = val if eq else None
        elif isinstance(value, dict):
            for key, val in value.items():
                if isinstance(val, dict | list):
                    raise self.bad((*where, str(key)), "a string, number or boolean", val)
                out[str(key)] = val
        else:
            raise self.bad(".".join(where), "a mapping or a list of 'KEY=VALUE' strings", value)
        for key, val in out.items():
            if val is None:
                if from_env:
                    out[key] = f"${{{key}}}"
                    self.note(
                        f"{'.'.join(where)}.{key}",
                        f"taken from your environment as ${{{key}}} (empty when unset; Compose leaves it out)",
                    )
                else:
                    out[key] = ""
            elif isinstance(val, bool):
                out[key] = "true" if val else "false"
        return out

    def commands(self) -> None:
        for key, dest in (("command", "command"), ("entrypoint", "entrypoint")):
            value = self.spec.get(key)
            if value is None:
                continue
            if isinstance(value, str):
                self.p[dest] = value
            elif isinstance(value, list) and all(isinstance(x, str | int | float) for x in value):
                self.p[dest] = [str(x) for x in value]
            else:
                raise self.bad(key, "a command line or a list of strings", value)

    def environment(self) -> None:
        env_files = self.spec.get("env_file")
        if env_files is not None:
            items = env_files if isinstance(env_files, list) else [env_files]
            paths = []
            for i, item in enumerate(items):
                required = True
                if isinstance(item, dict):
                    required = item.get("required", True) is not False
                    item = item.get("path")
                if not isinstance(item, str):
                    raise self.bad(("env_file", i), "a file name", item)
                if not required and not (self.compose_dir / item).exists():
                    self.note(f"env_file[{i}]", f"{item} dropped: optional and missing")
                    continue
                paths.append(self.path(item))
            if paths:
                self.p["env_file"] = paths
        env = self.spec.get("environment")
        if env is None:
            return
        values = self.pairs(env, ("environment",), from_env=True)
        out: dict[str, Any] = {}
        for key, value in values.items():
            if _SECRET_NAME.search(key):
                out[key] = {"value": value if isinstance(value, str) else str(value), "secret": True}
                self.note(f"environment.{key}", "marked secret: true (the name looks like a secret)")
            else:
                out[key] = value
        self.p["env"] = out

    def network(self) -> None:
        net: dict[str, Any] = {}
        mode = self.get("network_mode", str, "a network mode")
        if mode is not None:
            modes = {
                "bridge": "private",
                "default": "private",
                "none": "none",
                "host": "host",
                "slirp4netns": "private",
                "pasta": "pasta",
                "private": "private",
            }
            if mode in modes:
                net["mode"] = modes[mode]
            else:
                self.note("network_mode", f"{mode!r} → private (no namespace sharing between profiles)")
        if self.spec.get("networks") is not None:
            self.note("networks", DROPPED["networks"])
        ports = self.spec.get("ports")
        if ports is not None:
            if not isinstance(ports, list):
                raise self.bad("ports", "a list of ports", ports)
            net["ports"] = [p for i, item in enumerate(ports) for p in self.port(item, i)]
            if not net["ports"]:
                del net["ports"]
        hostname = self.get("hostname", str, "a host name")
        if hostname:
            domain = self.get("domainname", str, "a domain name")
            net["hostname"] = f"{hostname}.{domain}" if domain else hostname
            if domain:
                self.note("domainname", f"joined with the hostname: {net['hostname']}")
        elif self.spec.get("domainname"):
            self.note("domainname", "dropped: no hostname to join it with")
        dns = self.spec.get("dns")
        if dns is not None:
            if isinstance(dns, str):
                dns = [dns]
            if not isinstance(dns, list) or not all(isinstance(x, str) for x in dns):
                raise self.bad("dns", "an address or a list of addresses", dns)
            net["dns"] = dns
        hosts = self.spec.get("extra_hosts")
        if hosts is not None:
            net["add_hosts"] = self.extra_hosts(hosts)
            if not net["add_hosts"]:
                del net["add_hosts"]
        if net:
            self.p["network"] = net

    def extra_hosts(self, hosts: Any) -> dict[str, str]:
        entries: list[tuple[str, Any]] = []
        if isinstance(hosts, dict):
            entries = [(str(k), v) for k, v in hosts.items()]
        elif isinstance(hosts, list):
            for i, item in enumerate(hosts):
                if not isinstance(item, str):
                    raise self.bad(("extra_hosts", i), "'HOST:IP' or 'HOST=IP'", item)
                m = re.match(r"^([^:=]+)[:=](.+)$", item)
                if not m:
                    raise self.bad(("extra_hosts", i), "'HOST:IP' or 'HOST=IP'", item)
                entries.append((m.group(1), m.group(2)))
        else:
            raise self.bad("extra_hosts", "a list of 'HOST:IP' or a mapping", hosts)
        out: dict[str, str] = {}
        for host, ip in entries:
            ip = str(ip).strip("[]")
            if ip == "host-gateway":
                self.note(f"extra_hosts.{host}", "host-gateway dropped: give the host's address")
                continue
            out[host] = ip
        return out

    def port(self, item: Any, i: int) -> list[Any]:
        where = f"ports[{i}]"
        if isinstance(item, dict):
            target = item.get("target")
            published = item.get("published")
            if target is None:
                raise self.bad(("ports", i), "a mapping with 'target'", item)
            host_ip = item.get("host_ip") or ""
            protocol = item.get("protocol") or "tcp"
            for key in item:
                if key not in ("target", "published", "host_ip", "protocol", "mode", "name", "app_protocol"):
                    self.note(f"{where}.{key}", "dropped")
            text = f"{published}:{target}" if published is not None else str(target)
            if host_ip:
                text = f"[{host_ip}]:{text}" if ":" in str(host_ip) else f"{host_ip}:{text}"
            return self.port(f"{text}/{protocol}", i)
        if isinstance(item, int) and not isinstance(item, bool):
            item = str(item)
        if not isinstance(item, str):
            raise self.bad(("ports", i), "a port like '8080:80' or a mapping", item)
        if "$" in item:
            return [item]  # interpolated when the profile loads
        m = re.match(
            r"^(?:(\[[0-9A-Fa-f:.]+\]|[0-9]+\.[0-9.]+):)?(?:([0-9]+(?:-[0-9]+)?)?:)?([0-9]+(?:-[0-9]+)?)(?:/([a-zA-Z]+))?$",
            item.strip(),
        )
        if not m:
            raise self.bad(("ports", i), "a port like '8080:80' or '127.0.0.1:8080:80/udp'", item)
        host_ip, host, cont, proto = m.group(1) or "", m.group(2), m.group(3), (m.group(4) or "tcp").lower()
        cont_range = _range(cont)
        if host is None:
            self.note(where, f"{item}: Compose picks a random host port; published on the same port instead")
            host_range = cont_range
        else:
            host_range = _range(host)
        if len(host_range) != len(cont_range):
            if len(cont_range) == 1:
                self.note(where, f"{item}: a host port range for one container port → its first port")
                host_range = host_range[:1]
            else:
                raise self.bad(("ports", i), "port ranges of the same length", item)
        prefix = f"{host_ip}:" if host_ip else ""
        suffix = f"/{proto}" if proto != "tcp" else ""
        return [f"{prefix}{h}:{c}{suffix}" for h, c in zip(host_range, cont_range, strict=True)]

    def volumes(self) -> None:
        out: list[Any] = []
        vols = self.spec.get("volumes")
        if vols is not None:
            if not isinstance(vols, list):
                raise self.bad("volumes", "a list of volumes", vols)
            for i, item in enumerate(vols):
                vol = self.volume(item, i)
                if vol is not None:
                    out.append(vol)
        tmpfs = self.spec.get("tmpfs")
        if tmpfs is not None:
            items = tmpfs if isinstance(tmpfs, list) else [tmpfs]
            for i, item in enumerate(items):
                if not isinstance(item, str):
                    raise self.bad(("tmpfs", i), "a path like '/run' or '/run:size=64m'", item)
                target, _, opts = item.partition(":")
                vol: dict[str, Any] = {"type": "tmpfs", "target": target}
                for opt in filter(None, opts.split(",")):
                    key, _, val = opt.partition("=")
                    if key == "size":
                        vol["size"] = val
                    elif key == "mode":
                        vol["mode"] = val
                    elif key in ("ro", "rw"):
                        vol["read_only"] = key == "ro"
                    else:
                        self.note(f"tmpfs[{i}]", f"option {opt!r} dropped")
                out.append(vol)
        if out:
            self.p["volumes"] = out

    def _named(self, name: str) -> str:
        spec = self.top_volumes.get(name)
        if isinstance(spec, dict) and isinstance(spec.get("name"), str):
            return spec["name"]
        return name

    def volume(self, item: Any, i: int) -> Any:
        where = f"volumes[{i}]"
        if isinstance(item, str):
            parts = item.split(":")
            if len(parts) == 1:
                anon = f"{self.p['name']}-anon-{i}"
                self.note(where, f"anonymous volume at {item} → named volume {anon!r}")
                return f"{anon}:{item}"
            if len(parts) > 3:
                raise self.bad(("volumes", i), "'SOURCE:TARGET[:OPTIONS]'", item)
            source, target = parts[0], parts[1]
            options = parts[2].split(",") if len(parts) == 3 else []
            kept = []
            for opt in options:
                if opt in ("ro", "rw", "z", "Z"):
                    kept.append(opt)
                else:
                    self.note(where, f"option {opt!r} dropped")
            if source.startswith((".", "/", "~", "$")) or "/" in source:
                source = self.path(source)
                if not source.startswith(("/", "~", "$", ".")):
                    source = f"./{source}"
            elif _VOLUME_NAME.match(source):
                source = self._named(source)
            else:
                raise self.bad(("volumes", i), "a path or a volume name as source", item)
            return ":".join([source, target, *([",".join(kept)] if kept else [])])
        if not isinstance(item, dict):
            raise self.bad(("volumes", i), "a volume like './data:/data' or a mapping", item)
        kind = item.get("type")
        target = item.get("target")
        if not isinstance(target, str):
            raise self.bad(("volumes", i, "target"), "a path in the container", target)
        if kind not in ("bind", "volume", "tmpfs"):
            self.note(where, f"type {kind!r} dropped: bind, volume and tmpfs only")
            return None
        vol: dict[str, Any] = {"type": kind}
        source = item.get("source")
        if kind == "bind":
            if not isinstance(source, str):
                raise self.bad(("volumes", i, "source"), "a host path", source)
            vol["source"] = self.path(source)
        elif kind == "volume":
            if source is None:
                source = f"{self.p['name']}-anon-{i}"
                self.note(where, f"anonymous volume at {target} → named volume {source!r}")
            if not isinstance(source, str):
                raise self.bad(("volumes", i, "source"), "a volume name", source)
            vol["source"] = self._named(source)
        vol["target"] = target
        if item.get("read_only"):
            vol["read_only"] = True
        for key, sub in item.items():
            if key in ("type", "source", "target", "read_only") or str(key).startswith("x-"):
                continue
            if not isinstance(sub, dict):
                self.note(f"{where}.{key}", "dropped")
                continue
            for opt, val in sub.items():
                if key == "bind" and opt == "selinux":
                    vol["selinux"] = val
                elif key == "tmpfs" and opt in ("size", "mode"):
                    vol[opt] = val
                elif key == "bind" and opt == "create_host_path" and val:
                    self.note(f"{where}.bind.create_host_path", "dropped: the host path must exist")
                else:
                    self.note(f"{where}.{key}.{opt}", "dropped")
        return vol

    def resources(self) -> None:
        res: dict[str, Any] = {}
        for key, dest in (("mem_limit", "memory"), ("cpus", "cpus"), ("pids_limit", "pids")):
            if self.spec.get(key) is not None:
                res[dest] = self.spec[key]
        if self.spec.get("memswap_limit") is not None:
            self.note("memswap_limit", "dropped: no swap limit")
        deploy = self.spec.get("deploy")
        if deploy is not None:
            if not isinstance(deploy, dict):
                raise self.bad("deploy", "a mapping", deploy)
            for key, value in deploy.items():
                if key == "resources":
                    if not isinstance(value, dict):
                        raise self.bad(("deploy", "resources"), "a mapping", value)
                    limits = value.get("limits") or {}
                    if not isinstance(limits, dict):
                        raise self.bad(("deploy", "resources", "limits"), "a mapping", limits)
                    for lk, lv in limits.items():
                        if lk in ("memory", "cpus", "pids"):
                            res[lk] = lv
                        else:
                            self.note(f"deploy.resources.limits.{lk}", "dropped")
                    for rk in value:
                        if rk != "limits":
                            self.note(f"deploy.resources.{rk}", "dropped: limits only")
                elif key == "replicas":
                    if value not in (0, 1):
                        self.note("deploy.replicas", f"{value} → 1: a profile is one container")
                elif key == "restart_policy":
                    pass  # restart() reads it
                else:
                    self.note(f"deploy.{key}", "dropped: no orchestration")
        if "cpus" in res and isinstance(res["cpus"], str) and "$" not in res["cpus"]:
            try:
                res["cpus"] = float(res["cpus"])
            except ValueError:
                raise self.bad("cpus", "a number of CPUs", res["cpus"]) from None
        if res:
            self.p["resources"] = res
        ulimits = self.spec.get("ulimits")
        if ulimits is not None:
            if not isinstance(ulimits, dict):
                raise self.bad("ulimits", "a mapping", ulimits)
            from rcontainer.profile.schema import ULIMITS

            out = {}
            for key, value in ulimits.items():
                if key in ULIMITS:
                    out[key] = value
                else:
                    self.note(f"ulimits.{key}", "dropped: unknown limit")
            if out:
                self.p["ulimits"] = out

    def healthcheck(self) -> None:
        hc = self.spec.get("healthcheck")
        if hc is None:
            return
        if not isinstance(hc, dict):
            raise self.bad("healthcheck", "a mapping", hc)
        if hc.get("disable") is True:
            self.p["healthcheck"] = {"test": ["NONE"]}
            return
        test = hc.get("test")
        if test is None:
            self.note(
                "healthcheck", "dropped: without 'test' (the image's own check) profiles cannot tune it"
            )
            return
        if isinstance(test, list):
            if not test or not all(isinstance(x, str | int | float) for x in test):
                raise self.bad(("healthcheck", "test"), "a list starting with CMD, CMD-SHELL or NONE", test)
            test = [str(x) for x in test]
        elif not isinstance(test, str):
            raise self.bad(("healthcheck", "test"), "a command line or a list", test)
        out: dict[str, Any] = {"test": test}
        for key in ("interval", "timeout", "retries", "start_period"):
            if hc.get(key) is not None:
                out[key] = hc[key]
        for key in hc:
            if key not in ("test", "interval", "timeout", "retries", "start_period", "disable"):
                self.note(f"healthcheck.{key}", "dropped")
        self.p["healthcheck"] = out

    def restart(self) -> None:
        restart = self.spec.get("restart")
        if restart is False:
            restart = "no"
        if restart is not None:
            if not isinstance(restart, str):
                raise self.bad("restart", "no, always, on-failure[:N] or unless-stopped", restart)
            self.p["restart"] = restart
            return
        policy = (self.spec.get("deploy") or {}).get("restart_policy")
        if isinstance(policy, dict):
            condition = policy.get("condition", "any")
            mapped = {"none": "no", "on-failure": "on-failure", "any": "always"}.get(condition)
            if mapped is None:
                raise self.bad(
                    ("deploy", "restart_policy", "condition"), "none, on-failure or any", condition
                )
            attempts = policy.get("max_attempts")
            if mapped == "on-failure" and isinstance(attempts, int) and attempts > 0:
                mapped = f"on-failure:{attempts}"
            self.p["restart"] = mapped
            for key in policy:
                if key not in ("condition", "max_attempts"):
                    self.note(f"deploy.restart_policy.{key}", "dropped")

    def runtime(self) -> None:
        runtime = self.get("runtime", str, "a runtime name")
        if runtime is None:
            return
        from rcontainer import runtimes

        name = RUNTIMES.get(runtime)
        if name is None:
            classes = runtimes.all_classes()
            name = runtime if runtime in classes else None
            if name is None:
                for rc in classes.values():
                    if rc.handler and (rc.handler == runtime or Path(rc.handler).name == runtime):
                        name = rc.name
                        break
        if name is None:
            self.note("runtime", f"{runtime!r} dropped: no runtime class runs it (see rcontainer runtimes)")
            return
        self.p["runtime"] = name

    def simple(self) -> None:
        sp = self.spec
        userns = self.get("userns_mode", str, "a user namespace mode")
        if userns is not None:
            if userns in ("host", "keep-id", "auto", ""):
                self.p["userns"] = userns
            elif userns.startswith(("keep-id:", "auto:")):
                self.p["userns"] = userns.split(":", 1)[0]
                self.note("userns_mode", f"{userns!r} → {self.p['userns']!r} (options dropped)")
            else:
                self.note("userns_mode", f"{userns!r} dropped")
        for key, dest in (("cap_add", "cap_add"), ("cap_drop", "cap_drop")):
            value = sp.get(key)
            if value is not None:
                if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
                    raise self.bad(key, "a list of capabilities", value)
                self.p[dest] = value
        for key, dest in (("read_only", "read_only"), ("tty", "tty"), ("privileged", "privileged")):
            if sp.get(key) is not None:
                self.p[dest] = sp[key]
        if sp.get("stop_signal") is not None:
            self.p["stop_signal"] = sp["stop_signal"]
        grace = sp.get("stop_grace_period")
        if grace is not None:
            from rcontainer.profile.schema import parse_duration

            try:
                seconds = parse_duration(grace)
            except ValueError:
                raise self.bad("stop_grace_period", "a duration like '10s' or '1m30s'", grace) from None
            self.p["stop_timeout"] = math.ceil(seconds)
            if seconds != math.ceil(seconds):
                self.note("stop_grace_period", f"{grace} → {math.ceil(seconds)} s (whole seconds)")
        for key in ("labels", "annotations"):
            if sp.get(key) is not None:
                self.p[key] = self.pairs(sp[key], (key,), from_env=False)
        user = sp.get("user")
        if user is not None:
            if isinstance(user, bool) or not isinstance(user, str | int):
                raise self.bad("user", "a user like '1000' or 'nobody:nogroup'", user)
            self.p["user"] = str(user)
        workdir = self.get("working_dir", str, "an absolute path")
        if workdir:
            self.p["workdir"] = workdir
        for i, opt in enumerate(sp.get("security_opt") or []):
            if not isinstance(opt, str):
                raise self.bad(("security_opt", i), "a string", opt)
            m = re.match(r"^no-new-privileges(?:[:=](true|false))?$", opt)
            if m:
                self.p["no_new_privileges"] = m.group(1) != "false"
            else:
                self.note(f"security_opt[{i}]", f"{opt!r} dropped")


def _range(text: str) -> list[int]:
    if "-" in text:
        a, b = (int(x) for x in text.split("-", 1))
        return list(range(a, b + 1)) if a <= b else []
    return [int(text)]


# ---------------------------------------------------------------------------------------------
# Writing


def render(profile: dict[str, Any], *, source: Path, service: str) -> str:
    import yaml

    header = (
        f"# {profile['name']}: imported by `rcontainer import` from {source.name}, service {service}.\n"
        "# Unlike Compose, rcontainer sets no_new_privileges: true unless told otherwise.\n"
    )
    dumper = getattr(yaml, "CSafeDumper", None) or yaml.SafeDumper
    return header + yaml.dump(
        profile, Dumper=dumper, sort_keys=False, default_flow_style=False, allow_unicode=True
    )


def import_compose(
    path: Path, *, services: list[str] | None = None, output_dir: Path = Path("."), force: bool = False
) -> ImportResult:
    """Convert, validate and write the services of a Compose file as profiles (all or nothing)."""
    from rcontainer.profile import ProfileError, load_profile

    compose, lines = read_compose(path)
    profiles, notes = convert(compose, file=path, output_dir=output_dir, services=services, lines=lines)
    if output_dir.exists() and not output_dir.is_dir():
        raise BadInput(f"{output_dir} is not a folder")
    targets = {svc: output_dir / f"{prof['name']}.yaml" for svc, prof in profiles.items()}
    existing = [str(t) for t in targets.values() if t.exists()]
    if existing and not force:
        raise BadInput(f"not overwriting {', '.join(existing)}", hint="give --force to overwrite")
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BadInput(f"cannot make {output_dir}: {exc.strerror or exc}") from None
    temps: list[Path] = []
    try:
        for svc, prof in profiles.items():
            tmp = output_dir / f".{prof['name']}.rcontainer-import.yaml"
            temps.append(tmp)
            tmp.write_text(render(prof, source=path, service=svc), encoding="utf-8")
            try:
                load_profile(tmp)
            except ProfileError as exc:
                problems = "\n".join(f"  {p.path or '(profile)'}: {p.message}" for p in exc.problems)
                raise BadInput(
                    f"{path}: service {svc!r} does not make a valid profile:\n{problems}",
                    hint="fix the service (or set the variables it uses) and import again",
                ) from None
        for (_svc, target), tmp in zip(targets.items(), temps, strict=True):
            tmp.replace(target)
    except OSError as exc:
        raise BadInput(f"cannot write profiles to {output_dir}: {exc.strerror or exc}") from None
    finally:
        for tmp in temps:
            tmp.unlink(missing_ok=True)
    return ImportResult(written=list(targets.values()), notes=notes, profiles=profiles)
