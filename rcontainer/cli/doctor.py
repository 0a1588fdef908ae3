"""``rcontainer doctor``."""

from __future__ import annotations

import click

from rcontainer.cli.app import App

MARK = {"error": "FAIL", "warning": "WARN", "info": "info"}


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON: one object per check.")
@click.pass_obj
def doctor(app: App, as_json: bool) -> None:
    """Check that this host is ready for rootless containers, and say how to fix what is not.

    Exits with status 8 when a check your profiles depend on fails.
    """
    from rcontainer.doctor import run_checks
    from rcontainer.errors import CheckFailed

    checks = run_checks(autostart=app.autostart)
    app.emit([c.as_dict() for c in checks], as_json, lambda _: "\n".join(_line(c) for c in checks))
    failed = [c.name for c in checks if c.failed]
    if failed:
        raise CheckFailed(
            f"{len(failed)} check{'s' if len(failed) > 1 else ''} failed: {', '.join(failed)}",
            hint="the fix of each failed check says what to do",
        )


def _line(c) -> str:
    mark = "ok" if c.ok else MARK.get(c.severity, "FAIL")
    line = f"{mark:<5} {c.name}: {c.detail}"
    if not c.ok and c.fix:
        line += f"\n      fix: {c.fix}"
    return line
