"""``rcontainer validate`` and ``rcontainer render``: check and show profiles.

Only click and the paths module at import time: completion must stay fast.
"""

from __future__ import annotations

import click

from rcontainer import paths


def complete_profiles(ctx: click.Context, param: click.Parameter, incomplete: str) -> list:
    """Profile names from ``profiles_dir()``; file completion when ``incomplete`` looks like a path."""
    from click.shell_completion import CompletionItem

    if "/" in incomplete or incomplete.startswith((".", "~")) or incomplete.endswith((".yaml", ".yml")):
        return [CompletionItem(incomplete, type="file")]
    try:
        folder = paths.profiles_dir()
        names = sorted({p.stem for pattern in ("*.yaml", "*.yml") for p in folder.glob(pattern)})
    except OSError:
        names = []
    matches = [CompletionItem(n) for n in names if n.startswith(incomplete)]
    return matches or [CompletionItem(incomplete, type="file")]


@click.command()
@click.argument("profiles", nargs=-1, required=True, metavar="PROFILE...", shell_complete=complete_profiles)
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@click.pass_context
def validate(ctx: click.Context, profiles: tuple[str, ...], as_json: bool) -> None:
    """Check profiles (names or .yaml files) and report every problem with its line and column.

    Exits with status 2 when a profile has problems, 3 when a profile is not found.
    """
    from rcontainer.errors import NotFound
    from rcontainer.profile import Problem, ProfileError, find_profile, load_profile

    results = []
    problems: list[Problem] = []
    missing: list[tuple[NotFound, Problem]] = []
    for ref in profiles:
        file = ref
        try:
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
        results.append(
            {"file": file, "ok": True, "name": profile.name, "runtime": profile.runtime, "problems": []}
        )
        if not as_json:
            click.echo(f"{file}: ok ({profile.name}, runtime {profile.runtime})")
    if as_json:
        from rcontainer.cli.output import emit_json

        emit_json(results)
        if problems or missing:
            ctx.exit(2 if problems else 3)
        return
    if problems:  # bad profiles (exit 2), with any missing ones listed too
        raise ProfileError(problems + [problem for _, problem in missing])
    if len(missing) == 1:
        raise missing[0][0]
    if missing:
        raise NotFound("\n".join(str(problem) for _, problem in missing))


@click.command()
@click.argument("profile", metavar="PROFILE", shell_complete=complete_profiles)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of YAML.")
def render(profile: str, as_json: bool) -> None:
    """Print a profile as rcontainer reads it: extends merged, variables expanded, defaults filled.

    Secret values are shown as ******.
    """
    from rcontainer.profile import load_profile

    data = load_profile(profile).to_dict(mask_secrets=True)
    if as_json:
        from rcontainer.cli.output import emit_json

        emit_json(data)
        return
    import yaml

    dumper = getattr(yaml, "CSafeDumper", None) or yaml.SafeDumper
    click.echo(yaml.dump(data, Dumper=dumper, sort_keys=False, default_flow_style=False), nl=False)


COMMANDS = [validate, render]
