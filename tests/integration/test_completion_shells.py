"""The shipped completion scripts driven by the real shells: bash, and zsh and fish when present.

Each shell asks the real ``rcontainer`` on PATH (the test environment's) for candidates: names
of containers from the records, profile names from the profiles folder, subcommands, and file
paths (which the shell completes itself).
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

from rcontainer import paths

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = REPO / "completions"


def shell_env() -> dict[str, str]:
    bindir = str(Path(sys.executable).parent)
    assert (Path(bindir) / "rcontainer").exists()
    return {**os.environ, "PATH": bindir + os.pathsep + os.environ.get("PATH", "")}


def bash(line: str) -> tuple[list[str], str]:
    """Candidates bash's completion function gives for ``line`` (cursor at its end), and the
    options it asked of compopt (stubbed: compopt only works inside real completion)."""
    words = line.split(" ")
    script = (
        f"source {shlex.quote(str(SCRIPTS / 'rcontainer.bash'))}\n"
        'compopt() { echo compopt "$@" >&2; }  # the function sets IFS to newline\n'
        f"COMP_WORDS=({' '.join(shlex.quote(w) for w in words)})\n"
        f"COMP_CWORD={len(words) - 1}\n"
        "_rcontainer_completion rcontainer\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    proc = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=shell_env(), timeout=60)
    assert proc.returncode == 0, proc.stderr
    return [c for c in proc.stdout.splitlines() if c], proc.stderr


def test_bash_completes_subcommands():
    candidates, _ = bash("rcontainer sto")
    assert candidates == ["stop"]
    candidates, _ = bash("rcontainer systemd ")
    assert {"generate", "install", "uninstall"} <= set(candidates)


def test_bash_completes_profile_names_and_files(isolated_dirs):
    folder = paths.profiles_dir()
    folder.mkdir(parents=True)
    (folder / "webby.yaml").write_text("name: webby\nimage: x\n")
    (folder / "worker.yml").write_text("name: worker\nimage: x\n")
    candidates, _ = bash("rcontainer up w")
    assert candidates == ["webby", "worker"]
    candidates, _ = bash("rcontainer systemd install we")
    assert candidates == ["webby"]
    # a path, or a word no profile name matches: profile files only (no schema, no other file)
    candidates, _ = bash("rcontainer systemd generate ./profiles/")
    assert candidates == sorted(candidates) and "./profiles/hello.yaml" in candidates
    assert not [c for c in candidates if not c.endswith((".yaml", ".yml", "/"))], candidates
    candidates, opts = bash("rcontainer up zz")
    assert candidates == [] and "compopt" not in opts


def test_bash_offers_only_paused_containers_to_unpause_and_stopped_ones_to_start(rc, busybox_profile, scope):
    rc("up", str(busybox_profile("one", command=["sleep", "1000"], stop_timeout=1))).ok()
    rc("up", str(busybox_profile("two", command=["sleep", "1000"], stop_timeout=1))).ok()
    rc("stop", "two").ok()
    assert bash("rcontainer start ")[0] == ["two"]
    assert bash("rcontainer pause ")[0] == ["one"]
    assert bash("rcontainer unpause ")[0] == []
    assert bash("rcontainer stop ")[0] == ["one", "two"], "sorted; stop offers every container"


def test_bash_completes_container_names_from_the_records(rc, tmp_path, busybox_image, scope):
    profile = tmp_path / "compl.yaml"
    profile.write_text(
        f"name: compl\nimage: {busybox_image}\nnetwork: {{mode: none}}\ncommand: [sleep, '1000']\n"
    )
    up = rc("up", str(profile))
    assert up.code == 0, up.err
    try:
        for line in ("rcontainer stop co", "rcontainer logs ", "rcontainer systemd uninstall c"):
            candidates, _ = bash(line)
            assert "compl" in candidates, (line, candidates)
        candidates, _ = bash("rcontainer stop zz")
        assert candidates == []
    finally:
        rc("down", "compl")


def test_fish_completes_with_its_own_api(isolated_dirs):
    folder = paths.profiles_dir()
    folder.mkdir(parents=True)
    (folder / "webby.yaml").write_text("name: webby\nimage: x\n")
    script = f"source {shlex.quote(str(SCRIPTS / 'rcontainer.fish'))}; complete -C 'rcontainer sto'; complete -C 'rcontainer up we'"
    proc = subprocess.run(["fish", "-c", script], capture_output=True, text=True, env=shell_env(), timeout=60)
    assert proc.returncode == 0, proc.stderr
    lines = [line.split("\t")[0] for line in proc.stdout.splitlines()]
    assert "stop" in lines and "webby" in lines


def test_zsh_completes_through_its_completion_function(isolated_dirs):
    folder = paths.profiles_dir()
    folder.mkdir(parents=True)
    (folder / "webby.yaml").write_text("name: webby\nimage: x\n")
    # compadd/_describe/_path_files only work inside zsh's completion widget: stand-ins print
    # what the function hands them.
    script = (
        "compdef() { :; }\n"
        f"source {shlex.quote(str(SCRIPTS / '_rcontainer'))}\n"
        "compadd() { print -l -- ${(P)${@[-1]}}; }\n"
        "_describe() { print -l -- ${(P)3}; }\n"
        "_path_files() { print -- FILES; }\n"
        "words=(rcontainer sto); CURRENT=2; _rcontainer_completion\n"
        "words=(rcontainer up we); CURRENT=3; _rcontainer_completion\n"
        "words=(rcontainer systemd generate ./profiles/); CURRENT=4; _rcontainer_completion\n"
    )
    proc = subprocess.run(
        ["zsh", "-f", "-c", script], capture_output=True, text=True, env=shell_env(), timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    lines = [line.split(":")[0] for line in proc.stdout.splitlines()]
    assert "stop" in lines and "webby" in lines and "./profiles/hello.yaml" in lines
    assert "./profiles/profile.schema.json" not in lines
