"""The README's examples, run as written: every code block marked ``sh example``.

They run in order, in one scratch home folder (a fresh account: no ``~/.local/bin``, no
``~/.config/fish``), from the checkout, against the session's Podman service in this test's
scope. Podman's own storage and configuration stay the user's (``XDG_DATA_HOME``,
``XDG_CONFIG_HOME``): the scratch home would otherwise be a second, empty image store. The
install block's ``/path/to/rcontainer`` is this checkout.
"""

from __future__ import annotations

import os
import re
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


def test_every_readme_example_runs_as_written_in_a_fresh_home(scope, busybox_image, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    real_home = Path(os.environ["HOME"])
    env = {
        **os.environ,
        "HOME": str(home),
        "XDG_CONFIG_HOME": os.environ.get("XDG_CONFIG_HOME", str(real_home / ".config")),
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
    finally:
        harness.podman("rmi", "-f", "localhost/rcontainer/built:latest", check=False)
