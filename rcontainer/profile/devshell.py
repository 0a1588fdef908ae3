"""A dev shell profile written on the fly: ``rcontainer shell --image IMAGE [--name NAME]``.

For users who do not want to write YAML first, as ``toolbox create`` and ``distrobox create``
do; the profile lands in the profiles folder, so the next ``shell NAME`` (or ``--image`` again)
is the same box, and adding a volume later is an edit of that file plus ``up``.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

from rcontainer import paths
from rcontainer.errors import BadInput

if TYPE_CHECKING:
    from rcontainer.profile import Profile

# keeps the container alive doing nothing, and ends at once on stop (PID 1 ignores an
# unhandled SIGTERM)
IDLE = ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 3600 & wait; done"]


def name_for(image: str) -> str:
    """``registry/tools/fedora:40`` → ``fedora``: the image's last path part, as a profile name."""
    last = image.rsplit("/", 1)[-1].split("@", 1)[0].split(":", 1)[0]
    name = re.sub(r"[^a-z0-9_.-]+", "-", last.lower()).strip("-._")
    return (name or "devshell")[:63]


def text(image: str, name: str, home: str, runtime: str) -> str:
    """The profile's YAML; every value written as a JSON string (valid YAML, escaped)."""
    network = "host"  # as Toolbx and Distrobox: the host's network, also for the bwrap class
    lines = [
        "# yaml-language-server: $schema=https://rcontainer.invalid/profile.schema.json",
        "# A dev shell made by `rcontainer shell --image`; edit it, then `rcontainer up` it.",
        f"name: {json.dumps(name)}",
        f"image: {json.dumps(image)}",
        f"command: {json.dumps(IDLE)}",
        f"home: {json.dumps(home)}               # shared | isolated | overlay | /a/folder",
        f"network: {network}",
        "stop_timeout: 2",
    ]
    if runtime != "default":
        lines.append(f"runtime: {json.dumps(runtime)}")
    return "\n".join(lines) + "\n"


def ensure(image: str, name: str | None, home: str, runtime: str) -> tuple[Profile, bool]:
    """The dev shell profile for ``image`` in the profiles folder, written when missing; and
    whether it was written now. One of that name for another image is refused (exit 2)."""
    from rcontainer.files import ensure_dir
    from rcontainer.profile import load_profile
    from rcontainer.profile.schema import control_character

    if not image or control_character(image) is not None or image.startswith("-"):
        raise BadInput(f"--image {image!r}: expected an image reference")
    name = name or name_for(image)
    if not re.fullmatch(r"[a-z0-9][a-z0-9_.-]{0,62}", name):
        raise BadInput(f"--name {name!r}: expected lowercase letters, digits, '_', '.' and '-'")
    path = paths.profiles_dir() / f"{name}.yaml"
    if path.exists():
        profile = load_profile(path)
        if profile.data.get("image") != image:
            raise BadInput(
                f"the profile {path} is for image {profile.data.get('image')!r}, not {image!r}",
                hint=f"rcontainer shell {name} enters it; give this one another --name",
            )
        return profile, False
    ensure_dir(path.parent)
    tmp = path.with_name(f".{name}.yaml.tmp")
    tmp.write_text(text(image, name, home, runtime))
    tmp.replace(path)
    try:
        return load_profile(path), True  # a value the loader refuses (a runtime class) is said now
    except BaseException:
        path.unlink(missing_ok=True)
        raise
