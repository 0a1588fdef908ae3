"""Profiles: a YAML file describing one container.

    from rcontainer.profile import load_profile, find_profile

    profile = load_profile("web")            # profiles_dir()/web.yaml, or a path
    profile.data["network"]["ports"]         # normalised: every key present, with defaults
    profile.to_dict()                        # secrets masked, for display

The schema (``schema.py``) is the single description of what a profile may contain; the
loader (``loader.py``) reads YAML with line and column of every value, follows ``extends``,
interpolates ``$VAR`` and reads ``env_file``. A bad profile raises ``ProfileError`` listing
every problem at once, each as ``FILE:LINE:COL: key.path: message``.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rcontainer import paths
from rcontainer.container import folder_project
from rcontainer.errors import NotFound
from rcontainer.profile.problems import Problem, ProfileError
from rcontainer.values import Value

__all__ = ["MASK", "Problem", "Profile", "ProfileError", "find_profile", "load_profile", "profile_names"]

MASK = "******"

# fields added after profiles were first hashed: absent from the resolved data unless set, so
# that a profile which does not use them keeps its config hash (and its container)
OPTIONAL_FIELDS = ("shell", "project", "networks", "depends_on", "home", "host")
# what says how containers relate, not what one container is: changing it recreates nothing
NOT_HASHED = ("project", "depends_on")


class Profile(Value):
    """A loaded, valid profile. ``data`` is fully resolved and normalised (see schema.py);
    ``path`` is absolute; ``warnings`` say what loads but may not be what was meant (FILE:LINE:
    key: what), for validate and up to say. Its repr names it and never shows ``data``, which
    holds the secret values."""

    __slots__ = ("name", "path", "data", "secret_env", "warnings")

    def __init__(
        self,
        name: str,
        path: Path,
        data: dict[str, Any],
        secret_env: frozenset[str] = frozenset(),
        warnings: tuple[str, ...] = (),
    ) -> None:
        self.name = name
        self.path = path
        self.data = data
        self.secret_env = secret_env
        self.warnings = warnings

    def __repr__(self) -> str:
        return f"Profile(name={self.name!r}, path={str(self.path)!r})"

    @property
    def runtime(self) -> str:
        return self.data["runtime"]

    @property
    def project(self) -> str:
        """The project it belongs to: its ``project:`` field, else its folder's name; "" when
        the folder's name makes none (``/``, ``Ω``): then it is known by its name alone, as
        every container was before projects."""
        return self.data.get("project") or folder_project(str(self.path))

    def to_dict(self, *, mask_secrets: bool = True) -> dict[str, Any]:
        """A deep copy of ``data``; secret environment values replaced by ``******``."""
        out = copy.deepcopy(self.data)
        if mask_secrets:
            for key in self.secret_env:
                if key in out["env"]:
                    out["env"][key] = MASK
        return out

    def config_hash(self) -> str:
        """sha256 of the canonical JSON of ``data``, so that ``up`` notices any change.

        A changed secret must recreate the container too, but the hash ends up in a label that
        anyone who can list the user's containers reads, and a plain hash of a short secret is
        easily guessed. So each secret value enters the hash only as an HMAC under a random key
        of the user's own (``paths.secret_key_file()``, 0600, made on first use). Fields that
        say how containers relate (``NOT_HASHED``) do not count."""
        data = {k: v for k, v in self.data.items() if k not in NOT_HASHED}
        if self.secret_env:
            key = secret_key()
            env = dict(data["env"])
            for name in self.secret_env & env.keys():
                env[name] = "hmac:" + hmac.new(key, str(env[name]).encode(), hashlib.sha256).hexdigest()
            data = {**data, "env": env}
        text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


def secret_key() -> bytes:
    """The user's key for hashing secret values (32 random bytes, created once, 0600)."""
    from rcontainer.files import private_random_key

    return private_random_key(paths.secret_key_file())


def _looks_like_path(ref: str) -> bool:
    return "/" in ref or ref.endswith((".yaml", ".yml")) or ref.startswith("~")


def find_profile(ref: str | Path) -> Path:
    """A profile file: ``ref`` itself when it is a path, else ``profiles_dir()/REF.yaml``."""
    text = str(ref)
    if isinstance(ref, Path) or _looks_like_path(text) or os.path.exists(text):
        path = Path(os.path.expanduser(text))
        if path.is_file():
            return path
        if path.is_dir():
            raise NotFound(f"profile {text} is a folder, not a file")
        raise NotFound(f"no profile file {text}")
    folder = paths.profiles_dir()
    for suffix in (".yaml", ".yml"):
        candidate = folder / f"{text}{suffix}"
        if candidate.is_file():
            return candidate
    names = profile_names()
    if names:
        import difflib

        close = difflib.get_close_matches(text, names, n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"profiles: {', '.join(names)}"
    else:
        hint = f"put profiles in {folder}, or give a path to a .yaml file"
    raise NotFound(f"no profile named {text!r} in {folder}", hint=hint)


def profile_names() -> list[str]:
    """Names of the profiles in ``profiles_dir()`` (for completion and hints); never raises."""
    try:
        folder = paths.profiles_dir()
        return sorted({p.stem for pattern in ("*.yaml", "*.yml") for p in folder.glob(pattern)})
    except OSError:
        return []


def load_profile(ref: str | Path, *, environ: Mapping[str, str] | None = None) -> Profile:
    """Find, load, validate and normalise a profile; ProfileError lists every problem."""
    from rcontainer.profile import loader

    path = find_profile(ref)
    data, secret_env, warnings = loader.load(path, os.environ if environ is None else environ)
    resources = data.get("resources")
    if isinstance(resources, dict) and not resources.get("required"):
        # only said when asked for: a profile without it resolves (and hashes) as before
        resources.pop("required", None)
    for key in OPTIONAL_FIELDS:  # the same: present only when the profile sets them
        if data.get(key) is None:
            data.pop(key, None)
    return Profile(
        name=data["name"], path=path.absolute(), data=data, secret_env=secret_env, warnings=warnings
    )
