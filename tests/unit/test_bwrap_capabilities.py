"""What the bubblewrap family refuses is declared beside it and applied by the profile loader."""

from __future__ import annotations

import re
from pathlib import Path

from rcontainer.backends import capabilities
from rcontainer.backends.bwrap.capabilities import UNSUPPORTED
from tests.unit.profile_helpers import IMAGE, load, problems

EVERYTHING_BWRAP_CANNOT_DO = """\
image: {image}
runtime: {runtime}
network: {{mode: private, ports: ["8080:80"]}}
networks: [default]
resources: {{memory: 1g, cpus: 1, pids: 10}}
volumes: ["data:/data", "./src:/src:z"]
healthcheck: {{test: "true"}}
userns: keep-id
tty: true
home: overlay
host: []
"""


def test_a_podman_class_takes_what_bwrap_refuses(tmp_path: Path) -> None:
    text = EVERYTHING_BWRAP_CANNOT_DO.format(image=IMAGE, runtime="runc")
    assert load(tmp_path, text).data["tty"] is True
    # Podman refuses only SCTP ports (rootless it forwards tcp and udp): none in the text above
    assert [rule.path for rule in capabilities("podman").unsupported] == ["network.ports[]"]
    found = problems(tmp_path, EVERYTHING_BWRAP_CANNOT_DO.format(image=IMAGE, runtime="bwrap"))
    rule_of = {p.path: re.sub(r"\[\d+\]$", "[]", p.path) for p in found}
    assert sorted(set(rule_of.values())) == sorted({rule.path for rule in UNSUPPORTED})
    assert all(p.message.endswith("(runtime 'bwrap' is bubblewrap)") for p in found)
