"""Safe defaults that need no Podman: privileged needs confirming, / and ~ need an opt-in."""

from __future__ import annotations

from pathlib import Path

import pytest

from rcontainer.profile import ProfileError, load_profile


def test_a_privileged_profile_needs_allow_privileged(tmp_path: Path, run_main, monkeypatch):
    monkeypatch.setenv("RCONTAINER_NO_AUTOSTART", "1")
    monkeypatch.setenv("RCONTAINER_RUNTIME_DIR", str(tmp_path))
    monkeypatch.delenv("CONTAINER_HOST", raising=False)
    profile = tmp_path / "p.yaml"
    profile.write_text("image: localhost/x:1\nprivileged: true\nnetwork: none\n")
    result = run_main("up", str(profile))
    assert result.code == 2
    assert "privileged: true" in result.err and "--allow-privileged" in result.err
    # confirmed, it goes on (and here stops at the missing socket, exit 6)
    result = run_main("up", "--allow-privileged", str(profile))
    assert result.code == 6, result.err


@pytest.mark.parametrize("source", ["~", "/", "~/..", "./link-to-root"])
def test_mounting_root_or_the_whole_home_needs_an_opt_in(tmp_path: Path, source: str, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    (tmp_path / "link-to-root").symlink_to("/")
    profile = tmp_path / "p.yaml"
    profile.write_text(f"image: localhost/x:1\nvolumes: ['{source}:/mnt']\n")
    with pytest.raises(ProfileError) as exc:
        load_profile(profile)
    (problem,) = exc.value.problems
    assert problem.path == "volumes[0]" and problem.line == 2
    assert "allow_sensitive_mounts: true" in problem.message
    profile.write_text(f"image: localhost/x:1\nallow_sensitive_mounts: true\nvolumes: ['{source}:/mnt']\n")
    assert load_profile(profile).data["volumes"][0]["source"] in (str(tmp_path / "home"), "/", str(tmp_path))


def test_a_sub_folder_of_home_is_fine_and_reported_resolved(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home" / "src").mkdir(parents=True)
    (tmp_path / "alias").symlink_to(tmp_path / "home" / "src")
    profile = tmp_path / "p.yaml"
    profile.write_text("image: localhost/x:1\nvolumes: ['./sub/../alias:/src', '~/src:/src2']\n")
    volumes = load_profile(profile).data["volumes"]
    assert [v["source"] for v in volumes] == [str(tmp_path / "home" / "src")] * 2
