"""Compose import: the services of a Compose file as one project folder of rcontainer profiles.

    result = import_compose(Path("compose.yaml"), output_dir=Path("shop"))
    result.written     # the profile files, one NAME.yaml per service (project: the Compose project)
    result.losses      # every Compose key with no (or only an approximate) equivalent
    result.warnings    # variables read while unset, other profiles in the folder

``load`` reads the file as Compose loads it: its YAML documents, what it includes and what its
services extend, merged by Compose's rules (``documents``, ``include``, ``extends``, ``merge``).
``convert`` is the pure part: that loaded file in, profile mappings and losses out.
Each Compose service key has a handler (``keys.HANDLERS``), one module per group of keys
(``services``, ``network``, ``relations`` (depends_on, networks), ``volumes``, ``resources``,
``health``, ``lifecycle``, ``security``);
a key with none is reported as dropped. ``import_compose`` reads the file (``load``), converts,
writes each profile next to its siblings under a temporary name, loads it back with
``load_profile`` (a profile rcontainer itself rejects is never written), and only then moves
every file into place: all or nothing.

``${VAR}`` strings are kept as they are: profiles interpolate the same way Compose does, when
they are loaded (a ``$`` that starts no expression, which Compose keeps, is doubled for the
profile: ``variables``). The few values the importer must read to translate them (a duration,
a port without host port, ...) are interpolated when imported, and noted; so are variables
that Compose takes from an env file the profile will not read. Relative paths in Compose are
relative to the Compose file's folder; in a profile, to the profile's folder: they are
rewritten for where the profile is written.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rcontainer.container import PROJECT_MAX
from rcontainer.convert.compose import relations
from rcontainer.convert.compose.checks import refuse_invalid
from rcontainer.convert.compose.keys import DROPPED, HANDLERS, PROFILE_KEYS
from rcontainer.convert.compose.load import Compose, bad, not_unicode, read_compose
from rcontainer.convert.compose.service import Service
from rcontainer.convert.compose.variables import names as variable_names
from rcontainer.convert.compose.variables import profile_text
from rcontainer.convert.loss import Loss, shown
from rcontainer.errors import BadInput

if TYPE_CHECKING:
    from rcontainer.profile.problems import Problem


@dataclass
class ImportResult:
    written: list[Path] = field(default_factory=list)
    losses: list[Loss] = field(default_factory=list)
    profiles: dict[str, dict[str, Any]] = field(default_factory=dict)  # service -> profile mapping
    warnings: list[str] = field(default_factory=list)  # FILE:LINE: key: what (unset variables, ...)


def convert(
    model: Compose, *, output_dir: Path, services: list[str] | None = None, warnings: list[str] | None = None
) -> tuple[dict[str, dict[str, Any]], list[Loss]]:
    """Profiles (service name -> profile mapping) for the loaded Compose file, and the losses;
    ``warnings`` gets a line for each variable a service reads while unset."""
    compose, file, lines = model.data, model.file, model.lines
    all_services = compose["services"]
    wanted = list(all_services) if services is None else services
    for name in wanted:
        if name not in all_services:
            raise BadInput(
                f"{shown(file)}: no service {name!r}",
                hint=f"services: {shown(', '.join(map(str, all_services))) or 'none'}",
            )
        if shown(name) != str(name):
            # Its name is quoted in the profile's header comment and in every note: Compose
            # itself allows letters, digits, '.', '_' and '-' only.
            raise bad(file, lines, ("services", name), "a service name without control characters", name)
    refuse_invalid(model)
    losses: list[Loss] = []
    top_volumes = compose.get("volumes") or {}
    if not isinstance(top_volumes, dict):
        raise bad(file, lines, ("volumes",), "a mapping of volume names", top_volumes)
    top_networks = compose.get("networks") or {}
    if not isinstance(top_networks, dict):
        raise bad(file, lines, ("networks",), "a mapping of network names", top_networks)
    for key in ("secrets", "configs"):
        if compose.get(key):
            losses.append(Loss(file.name, key, "top-level definitions dropped (see each service's notes)"))
    for vname, spec in top_volumes.items():
        if isinstance(spec, dict) and (spec.get("driver") or spec.get("driver_opts")):
            losses.append(
                Loss(file.name, f"volumes.{vname}", "driver and driver_opts dropped: local volumes")
            )
    out: dict[str, dict[str, Any]] = {}
    names: dict[str, str] = {}
    for service in wanted:
        spec = all_services[service]
        if spec is None:
            spec = {}
        if not isinstance(spec, dict):
            raise bad(file, lines, ("services", service), "a mapping of service settings", spec)
        if spec.get("provider") is not None and spec.get("image") is None and spec.get("build") is None:
            # Compose hands it to a plugin (a model runner, a cloud service): no container
            losses.append(Loss(str(service), "provider", "service skipped: a provider runs no container"))
            continue
        s = Service(
            str(service),
            spec,
            file=file,
            output_dir=output_dir,
            lines=lines,
            top_volumes=top_volumes,
            where=model.where.get(str(service)),
            environ=model.environ,
            project=model.project,
            top_networks=top_networks,
            services=tuple(map(str, all_services)),
        )
        profile = convert_service(s)
        if warnings is not None:
            warnings += s.unset_variables()
        if profile["name"] in names:
            raise BadInput(
                f"{shown(file)}: services {names[profile['name']]!r} and {service!r} both become profile"
                f" {profile['name']!r}",
                hint="import them one at a time with --service, into different folders",
            )
        names[profile["name"]] = str(service)
        out[str(service)] = profile
        losses += s.losses
    losses += relations.link(out, compose)
    losses += relations.top_level_notes(compose, file.name)
    return out, losses


def convert_service(s: Service) -> dict[str, Any]:
    """The profile of one service (its losses are in ``s.losses``)."""
    for handler in dict.fromkeys(HANDLERS.values()):
        handler(s)
    for key in s.spec:
        if not isinstance(key, str):
            raise s.bad(str(key), "a string key", key)
        if key in HANDLERS or key.startswith("x-"):
            continue
        s.lose(key, DROPPED.get(key, "dropped: profiles have no equivalent"))
    if s.project:  # the folder is one project, named as Compose names it
        s.p["project"] = s.project[:PROJECT_MAX]
    return _spelled({k: s.p[k] for k in PROFILE_KEYS if k in s.p})


def _spelled(value: Any) -> Any:
    """Every text of a profile spelled as profiles spell it: a lone ``$`` of Compose doubled."""
    if isinstance(value, str):
        return profile_text(value)
    if isinstance(value, dict):
        return {k: _spelled(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_spelled(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool):
        return int(value)  # not reading.OctalInt: a plain number to write
    return value


def _dotenv_notes(
    model: Compose, profiles: dict[str, dict[str, Any]], output_dir: Path, environ: Mapping[str, str]
) -> list[Loss]:
    """A note for each profile whose variables Compose takes from an env file (``.env``) that the
    profile will not read: a profile reads the ``.env`` in its own folder (and the environment)."""
    from rcontainer.profile import dotenv

    beside = output_dir / ".env"
    try:
        theirs = dotenv.read(beside, environ) if beside.is_file() else {}
    except (OSError, dotenv.DotenvError):
        theirs = {}
    notes = []
    for service, profile in profiles.items():
        ours = model.from_env_files.get(service, {})
        missing = sorted(n for n in variable_names(profile) if n in ours and theirs.get(n) != ours[n])
        if missing:
            listed = ", ".join(f"${n}" for n in missing)
            notes.append(
                Loss(
                    service,
                    ".env",
                    f"{listed} come from the Compose project's env file, which profiles in"
                    f" {output_dir.absolute()} do not read: copy the values to {beside.absolute()}"
                    " (or set them in your environment)",
                )
            )
    return notes


def _problem(problem: Problem, profile: Path) -> str:
    """One line of why a service's profile is invalid: in the profile, or in a file it reads."""
    if problem.file != str(profile):  # an env file, say: its name and line
        where = f"{problem.file}:{problem.line}" if problem.line else problem.file
        return f"  {shown(where)}: {shown(problem.message)}"
    return f"  {shown(problem.path or '(profile)')}: {shown(problem.message)}"


def render(profile: dict[str, Any], *, source: Path, service: str) -> str:
    import yaml

    # A YAML comment ends at any line break: names from the user's files are shown escaped.
    header = (
        f"# {profile['name']}: imported by `rcontainer import` from {shown(source.name)},"
        f" service {shown(service)}.\n"
        "# Unlike Compose, rcontainer sets no_new_privileges: true unless told otherwise.\n"
    )
    dumper = getattr(yaml, "CSafeDumper", None) or yaml.SafeDumper
    return header + yaml.dump(
        profile, Dumper=dumper, sort_keys=False, default_flow_style=False, allow_unicode=True
    )


def import_compose(
    path: Path,
    *,
    services: list[str] | None = None,
    output_dir: Path = Path("."),
    force: bool = False,
    environ: Mapping[str, str] | None = None,
    env_files: list[Path] | None = None,
    check: bool = False,
) -> ImportResult:
    """Convert, validate and write the services of a Compose file as profiles (all or nothing).

    ``environ`` (``os.environ`` when None) over the ``.env`` file beside the Compose file (or
    over ``env_files``) gives the variables Compose would interpolate: the importer reads them
    where it must translate a value (a duration, a port without host port, ...). With ``check``
    everything is converted and validated as for a real import, and nothing is written: the
    profiles are validated in hidden files of ``output_dir`` (made for it when missing), all
    removed again; ``written`` then lists what an import would write.
    """
    from rcontainer.profile import ProfileError, load_profile

    model = read_compose(path, environ=environ, env_files=env_files)
    compose, lines = model.data, model.lines
    warnings: list[str] = []
    profiles, losses = convert(model, output_dir=output_dir, services=services, warnings=warnings)
    if output_dir.exists() and not output_dir.is_dir():
        raise BadInput(f"{shown(output_dir)} is not a folder")
    losses += _dotenv_notes(model, profiles, output_dir, os.environ if environ is None else environ)
    targets = {svc: output_dir / f"{prof['name']}.yaml" for svc, prof in profiles.items()}
    if output_dir.is_dir():
        from rcontainer.profile.project import project_files

        others = [p.name for p in project_files(output_dir) if p not in targets.values()]
        if others:
            warnings.append(
                f"{shown(output_dir)}: other profiles are there too ({shown(', '.join(others))}): a folder is"
                " one project, which up FOLDER brings up whole; import into a folder of its own"
            )
    existing = [str(t) for t in targets.values() if t.exists()]
    if existing and not force and not check:
        raise BadInput(f"not overwriting {shown(', '.join(existing))}", hint="give --force to overwrite")
    made = _missing_folders(output_dir)
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BadInput(f"cannot make {shown(output_dir)}: {exc.strerror or exc}") from None
    temps: list[Path] = []
    try:
        for svc, prof in profiles.items():
            tmp = output_dir / f".{prof['name']}.rcontainer-import.yaml"
            temps.append(tmp)
            try:
                text = render(prof, source=path, service=svc)
                data = text.encode("utf-8")  # the C emitter refuses a surrogate itself, Python's not
            except UnicodeEncodeError:
                raise not_unicode(path, lines, compose, svc) from None
            tmp.write_bytes(data)
            try:
                load_profile(tmp, environ=model.environ)  # the variables as Compose sees them
            except ProfileError as exc:
                problems = "\n".join(_problem(p, tmp) for p in exc.problems)
                raise BadInput(
                    f"{shown(path)}: service {svc!r} does not make a valid profile:\n{problems}",
                    hint="fix the service (or set the variables it uses) and import again",
                ) from None
        if not check:
            for (_svc, target), tmp in zip(targets.items(), temps, strict=True):
                tmp.replace(target)
    except OSError as exc:
        raise BadInput(f"cannot write profiles to {shown(output_dir)}: {exc.strerror or exc}") from None
    finally:
        for tmp in temps:
            tmp.unlink(missing_ok=True)
        if check:
            for folder in made:  # deepest first: the folders made for the check only
                folder.rmdir()
    return ImportResult(written=list(targets.values()), losses=losses, profiles=profiles, warnings=warnings)


def _missing_folders(folder: Path) -> list[Path]:
    """``folder`` and its ancestors that do not exist yet, deepest first."""
    out = []
    for f in (folder.absolute(), *folder.absolute().parents):
        if f.exists():
            break
        out.append(f)
    return out
