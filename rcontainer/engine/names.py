"""Which container a command means: ``PROJECT/NAME``, a bare name, or a profile file.

Names are unique per project, not globally. ``PROJECT/NAME`` always names one container; with
``-p PROJECT`` a bare name is looked up in that project. Otherwise a bare name works when one
project has a container of that name; when several do, the one whose profile lives in the
current folder (the project folder the user is in) wins, then the only one not removed. A
profile file names the container of its project and name.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from rcontainer.container import PROJECT_PATTERN, Record, State, make_key
from rcontainer.engine import store
from rcontainer.errors import BadInput, NotFound

if TYPE_CHECKING:
    from rcontainer.profile import Profile

NAME_RE = re.compile(r"[a-z0-9][a-z0-9_.-]*")  # the profile schema's NAME_PATTERN
PROJECT_RE = re.compile(PROJECT_PATTERN.strip("^$"))


def looks_like_path(ref: str) -> bool:
    """A profile file (or a folder) rather than a container: a bare word is always a name."""
    return (
        ref.endswith((".yaml", ".yml"))
        or ref.startswith(("/", ".", "~"))
        or ("/" in ref and os.path.exists(ref))
    )


def check_project(project: str) -> str:
    if not PROJECT_RE.fullmatch(project) or len(project) > 63:
        raise BadInput(
            f"{project!r} is not a project name: expected lowercase letters, digits, '_' and '-'",
        )
    return project


def key_of(ref: str, project: str | None, load_profile: Callable[[str], Profile]) -> str:
    """The key of the container ``ref`` names (``project`` overrides a profile file's own)."""
    if looks_like_path(ref):
        if os.path.isdir(os.path.expanduser(ref)):
            raise BadInput(
                f"{ref} is a folder: this command takes one container",
                hint="name a container (NAME or PROJECT/NAME) or a profile file",
            )
        profile = load_profile(ref)
        return make_key(check_project(project) if project else profile.project, profile.name)
    if "/" in ref:
        p, _, name = ref.partition("/")
        if not (PROJECT_RE.fullmatch(p) and NAME_RE.fullmatch(name)):
            raise NotFound(
                f"no container or profile file {ref!r}",
                hint="name a container as NAME or PROJECT/NAME, or give a profile file",
            )
        return make_key(p, name)
    if not NAME_RE.fullmatch(ref):
        raise NotFound(f"no container named {ref!r}", hint="list them with rcontainer ps -a")
    if project:
        return make_key(check_project(project), ref)
    return _bare(ref)


def _bare(name: str) -> str:
    recs = store.named(name)
    if len(recs) == 1:
        return recs[0].key
    if not recs:
        raise NotFound(
            f"no container named {name!r}",
            hint="list them with rcontainer ps -a; create one with rcontainer up PROFILE",
        )
    for narrowed in (
        [r for r in recs if in_folder(r, Path.cwd())],
        [r for r in recs if r.state != State.REMOVED],
    ):
        if len(narrowed) == 1:
            return narrowed[0].key
    keys = ", ".join(sorted(r.key for r in recs))
    raise BadInput(
        f"{name!r} names a container in several projects: {keys}",
        hint="say which with PROJECT/NAME or -p PROJECT, or run the command in the project's folder",
    )


def in_folder(rec: Record, folder: Path) -> bool:
    """Whether the record's container was made from a profile file in ``folder``."""
    if not rec.profile_path:
        return False
    try:
        return Path(rec.profile_path).parent.resolve() == folder.resolve()
    except OSError:
        return False


def same_file(a: str | Path, b: str | Path) -> bool:
    """Whether two profile paths name one file (symlinks and ``..`` resolved where they exist)."""
    try:
        return Path(a).resolve() == Path(b).resolve()
    except OSError:
        return str(a) == str(b)
