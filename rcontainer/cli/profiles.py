"""``rcontainer validate`` and ``rcontainer render``: check and show profiles.

Only click at import time: the profile loader (and yaml) load inside the commands.
"""

from __future__ import annotations

import click

from rcontainer.cli.app import App
from rcontainer.cli.params import PROFILE, PROFILES


@click.command()
@PROFILES
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@click.pass_obj
def validate(app: App, profiles: tuple[str, ...], as_json: bool) -> None:
    """Check profiles (names or .yaml files) and report every problem with its line and column.

    A project folder is checked as a whole too (names unique, one project).
    Exits with status 2 when a profile has problems, 3 when a profile is not found.
    """
    import os
    import shlex

    from rcontainer.engine.binds import missing_sources
    from rcontainer.errors import NotFound
    from rcontainer.profile import Problem, ProfileError, find_profile, load_profile
    from rcontainer.profile.project import load_project

    results = []
    problems: list[Problem] = []
    missing: list[tuple[NotFound, Problem]] = []
    for ref in profiles:
        file = ref
        try:
            if os.path.isdir(ref):
                project = load_project(ref)
                results += [
                    {
                        "file": str(p.path),
                        "ok": True,
                        "name": p.name,
                        "runtime": p.runtime,
                        "project": project.name,
                        "problems": [],
                        **({"warnings": list(p.warnings)} if p.warnings else {}),
                    }
                    for p in project.profiles.values()
                ]
                if not as_json:  # the JSON carries them
                    app.notices += [f"warning: {w}" for p in project.profiles.values() for w in p.warnings]
                continue
            path = find_profile(ref)
            file = str(path)
            profile = load_profile(path)
        except ProfileError as exc:
            results.append({"file": file, "ok": False, "problems": [p.to_dict() for p in exc.problems]})
            problems += exc.problems
            continue
        except NotFound as exc:
            problem = Problem(file, None, None, "", exc.message + (f" ({exc.hint})" if exc.hint else ""))
            results.append({"file": file, "ok": False, "problems": [problem.to_dict()]})
            missing.append((exc, problem))
            continue
        result = {"file": file, "ok": True, "name": profile.name, "runtime": profile.runtime, "problems": []}
        # not a problem (it may be made before up), but up would refuse it as it is now
        warnings = list(profile.warnings) + [
            f"{file}: volumes[{i}]: bind source {source} does not exist (make it before up: mkdir -p "
            f"{shlex.quote(source)})"
            for i, source in missing_sources(profile.data.get("volumes"))
        ]
        if warnings:
            result["warnings"] = warnings
            if not as_json:  # the JSON carries them
                app.notices += [f"warning: {w}" for w in warnings]
        results.append(result)
    # text: a line for each good profile here; the problems go to stderr through main's error mapping
    app.emit(
        results,
        as_json,
        lambda rs: "\n".join(f"{r['file']}: ok ({r['name']}, runtime {r['runtime']})" for r in rs if r["ok"]),
    )
    if as_json:
        if problems or missing:
            app.exit(2 if problems else 3)
        return
    if problems:  # bad profiles (exit 2), with any missing ones listed too
        raise ProfileError(problems + [problem for _, problem in missing])
    if len(missing) == 1:
        raise missing[0][0]
    if missing:
        raise NotFound("\n".join(str(problem) for _, problem in missing))


@click.command()
@PROFILE
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of YAML.")
@click.pass_obj
def render(app: App, profile: str, as_json: bool) -> None:
    """Print a profile as rcontainer reads it: extends merged, variables expanded, defaults filled.

    Secret values are shown as ******.
    """
    from rcontainer.profile import load_profile

    app.emit(load_profile(profile).to_dict(mask_secrets=True), as_json, _yaml)


def _yaml(data: dict) -> str:
    import yaml

    dumper = getattr(yaml, "CSafeDumper", None) or yaml.SafeDumper
    return yaml.dump(data, Dumper=dumper, sort_keys=False, default_flow_style=False)
