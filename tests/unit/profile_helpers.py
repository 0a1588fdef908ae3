"""Helpers shared by the profile unit tests."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from rcontainer.profile import Profile, ProfileError, load_profile

IMAGE = "localhost/rcontainer/busybox:latest"


def write(folder: Path, text: str, name: str = "p.yaml") -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def load(folder: Path, text: str, name: str = "p.yaml", **environ: str) -> Profile:
    return load_profile(write(folder, text, name), environ=environ)


def problems(folder: Path, text: str, name: str = "p.yaml", **environ: str) -> list:
    with pytest.raises(ProfileError) as info:
        load(folder, text, name, **environ)
    return info.value.problems


def one_problem(folder: Path, text: str, name: str = "p.yaml", **environ: str):
    found = problems(folder, text, name, **environ)
    assert len(found) == 1, "\n".join(str(p) for p in found)
    return found[0]
