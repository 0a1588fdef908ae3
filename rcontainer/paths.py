"""Every directory rcontainer uses, in one place.

The XDG base directories, each overridable by an environment variable. No other module builds
a path under the user's home. Functions, not constants, so that tests (and a user changing
``XDG_*`` between calls) get fresh answers.

rcontainer runs on Linux only (rootless Podman, bubblewrap), where platformdirs' user paths are
the XDG Base Directory rules: ``$XDG_*_HOME`` when set to an absolute path, else the default
under the home folder. Those rules are computed here: importing platformdirs cost ~5 ms of
every command (a twentieth of an ``exec``). A unit test checks both give the same paths.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

APP = "rcontainer"


# kind -> (the XDG variable, its default under the home folder), per the XDG Base Directory spec
_XDG = {
    "config": ("XDG_CONFIG_HOME", ".config"),
    "state": ("XDG_STATE_HOME", ".local/state"),
    "cache": ("XDG_CACHE_HOME", ".cache"),
    "data": ("XDG_DATA_HOME", ".local/share"),
}


def xdg_home(kind: str) -> Path:
    """``$XDG_CONFIG_HOME`` (``config``), ``$XDG_STATE_HOME``, ``$XDG_CACHE_HOME`` or
    ``$XDG_DATA_HOME``: the variable when it holds an absolute path (the spec says a relative
    one is ignored), else the default under the home folder."""
    variable, default = _XDG[kind]
    value = os.environ.get(variable, "")
    return Path(value) if value.startswith("/") else Path.home() / default


def _dir(env: str, kind: str) -> Path:
    value = os.environ.get(env)
    if value:
        return Path(value).expanduser()
    return xdg_home(kind) / APP


def config_dir() -> Path:
    """``$XDG_CONFIG_HOME/rcontainer``: runtimes.yaml, profiles/."""
    return _dir("RCONTAINER_CONFIG_DIR", "config")


def profiles_dir() -> Path:
    """Profiles addressed by name: ``rcontainer up NAME`` reads ``profiles_dir()/NAME.yaml``."""
    return config_dir() / "profiles"


def runtimes_file() -> Path:
    """User-defined runtime classes."""
    return config_dir() / "runtimes.yaml"


def state_dir() -> Path:
    """``$XDG_STATE_HOME/rcontainer``: per-container records."""
    return _dir("RCONTAINER_STATE_DIR", "state")


def containers_dir() -> Path:
    return state_dir() / "containers"


def logs_dir() -> Path:
    """Container stdout/stderr, kept outside Podman's storage so logs outlive the container."""
    return state_dir() / "logs"


def secret_key_file() -> Path:
    """The key secret values are hashed with before their hash reaches a label."""
    return state_dir() / "secret-hash.key"


def data_dir() -> Path:
    """``$XDG_DATA_HOME/rcontainer``: what the user made and would miss (dev shells' homes)."""
    return _dir("RCONTAINER_DATA_DIR", "data")


def host_home() -> Path:
    """The user's home folder as their shell knows it (``$HOME``): a dev shell's home is
    mounted at this path, whatever its policy, so paths inside and outside agree."""
    return Path(os.path.expanduser("~"))


def dev_home_dir(key: str) -> Path:
    """A dev shell's own home (``home: isolated``: ``home/``) or overlay layer (``upper/``,
    ``work/``), kept across recreates under the container's ``PROJECT/NAME`` and scope;
    removed by ``rm --purge``."""
    s = scope()
    base = data_dir() / "homes"
    return (base if s == DEFAULT_SCOPE else base / s) / key


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/rcontainer``: unpacked image root filesystems, runtime probes, parsed profiles."""
    return _dir("RCONTAINER_CACHE_DIR", "cache")


def rootfs_cache_dir() -> Path:
    return cache_dir() / "rootfs"


def runtime_dir() -> Path:
    """``$XDG_RUNTIME_DIR`` (``/run/user/UID``), where Podman's socket lives.

    ``RCONTAINER_RUNTIME_DIR`` overrides it for rcontainer alone (where it looks for the socket
    and starts a private service), never for Podman.
    """
    value = os.environ.get("RCONTAINER_RUNTIME_DIR") or os.environ.get("XDG_RUNTIME_DIR")
    return Path(value) if value else Path(f"/run/user/{os.getuid()}")


def private_service_dir() -> Path:
    """Where rcontainer starts its own ``podman system service`` when none answers."""
    return runtime_dir() / APP


def systemd_user_dir() -> Path:
    """``$XDG_CONFIG_HOME/systemd/user``, where user units are installed."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "systemd" / "user"


def default_podman_socket() -> Path:
    """Where rootless Podman serves its API for this user."""
    return runtime_dir() / "podman" / "podman.sock"


def all_paths() -> dict[str, Path]:
    """Every path rcontainer uses, for ``info`` and ``doctor``."""
    return {
        "config": config_dir(),
        "profiles": profiles_dir(),
        "runtimes": runtimes_file(),
        "state": state_dir(),
        "logs": logs_dir(),
        "cache": cache_dir(),
        "data": data_dir(),
    }


DEFAULT_SCOPE = "default"
_SCOPE_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,62}$")


def scope() -> str:
    """The scope this rcontainer works in (``RCONTAINER_SCOPE``): containers of other scopes
    are invisible to it. Tests use a scope each; users normally never set it."""
    value = os.environ.get("RCONTAINER_SCOPE", DEFAULT_SCOPE)
    if not _SCOPE_RE.match(value):
        from rcontainer.errors import BadInput

        raise BadInput(f"RCONTAINER_SCOPE={value!r}: expected lowercase letters, digits, '.', '_' or '-'")
    return value


def scope_dir(kind: str) -> Path:
    """This scope's folder of ``kind`` (containers or logs)."""
    base = containers_dir() if kind == "containers" else logs_dir()
    s = scope()
    return base if s == DEFAULT_SCOPE else base / s
