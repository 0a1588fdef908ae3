"""The README's examples, run as written: every code block marked ``sh example``.

They run in order, in one scratch home folder (a fresh account: no ``~/.local/bin``, no
``~/.config/fish``), from the checkout, against the session's Podman service in this test's
scope. The configuration folder is the scratch home's too (``~/.config``): profiles copied to
``~/.config/rcontainer/profiles`` are found by name, and ``systemd install`` writes its unit to
the scratch ``~/.config/systemd/user``, never the real one; Podman's own configuration files
are copied there. Podman's storage stays the user's (``XDG_DATA_HOME``): the scratch home would
otherwise be a second, empty image store. The install block's ``/path/to/rcontainer`` is this
checkout.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from tests import harness

REPO = Path(__file__).resolve().parents[2]
BLOCK = re.compile(r"^```sh example\n(.*?)^```", re.MULTILINE | re.DOTALL)


def example_blocks() -> list[str]:
    return BLOCK.findall((REPO / "README.md").read_text())


def test_the_readme_marks_its_examples():
    blocks = example_blocks()
    assert len(blocks) >= 3, "install, quick start, completion"
    assert any("rcontainer up profiles/hello.yaml" in b for b in blocks)
    for example in (
        "rcontainer systemd install web",
        "rcontainer kube export web",
        "rcontainer import compose",
    ):
        assert any(example in b for b in blocks), example


def scratch_config(home: Path, real: Path) -> Path:
    """The scratch home's ``~/.config``, with the user's Podman configuration files (runc on this
    host, the storage driver) so that Podman behaves as it does for the user."""
    config = home / ".config"
    (config / "containers").mkdir(parents=True)
    for conf in (real / "containers").glob("*.conf"):
        shutil.copy(conf, config / "containers" / conf.name)
    return config


def test_every_readme_example_runs_as_written_in_a_fresh_home(scope, busybox_image, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    real_home = Path(os.environ["HOME"])
    real_config = Path(os.environ.get("XDG_CONFIG_HOME") or real_home / ".config")
    real_units = real_config / "systemd" / "user" / "rcontainer-web.service"
    had_unit = real_units.exists()
    env = {
        **{k: v for k, v in os.environ.items() if k != "RCONTAINER_CONFIG_DIR"},
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(scratch_config(home, real_config)),
        "XDG_DATA_HOME": os.environ.get("XDG_DATA_HOME", str(real_home / ".local" / "share")),
        "PATH": os.pathsep.join(
            [str(home / ".local" / "bin"), str(Path(sys.executable).parent), "/usr/bin", "/bin"]
        ),
    }
    try:
        for block in example_blocks():
            script = block.replace("/path/to/rcontainer", str(REPO))
            proc = subprocess.run(
                ["bash", "-euo", "pipefail", "-c", script],
                cwd=REPO,
                env=env,
                capture_output=True,
                text=True,
                timeout=600,
            )
            assert proc.returncode == 0, f"{block}\nexit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
        installed = home / ".local" / "bin" / "rcontainer"
        assert subprocess.run([installed, "--version"], capture_output=True, text=True).stdout.startswith(
            "rcontainer, version"
        )
        assert (home / ".config" / "fish" / "completions" / "rcontainer.fish").stat().st_size > 0
        assert (home / ".zfunc" / "_rcontainer").stat().st_size > 0
        # the systemd, kube and compose examples wrote into the scratch home, not the checkout
        assert "[Container]" in (home / ".config" / "containers" / "systemd" / "web.container").read_text()
        assert not (home / ".config" / "systemd" / "user" / "rcontainer-web.service").exists(), "uninstalled"
        assert real_units.exists() == had_unit, "the real systemd folder is left alone"
        assert "kind: Pod" in (home / "web.k8s.yaml").read_text()
        assert "kind: Deployment" in (home / "stack.yaml").read_text()
        assert (home / "shop" / "profiles" / "db.yaml").is_file() and (home / "shop" / "db.yaml").is_file()
        for stray in ("web.k8s.yaml", "stack.yaml", "db.yaml", "compose.yaml", "profiles/db.yaml"):
            assert not (REPO / stray).exists(), stray
    finally:
        harness.podman("rmi", "-f", "localhost/rcontainer/built:latest", check=False)
