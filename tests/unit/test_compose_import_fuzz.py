"""Property tests: any Compose document gives profiles or a BadInput, never another exception."""

from __future__ import annotations

import json
import os
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rcontainer.convert.compose import import_compose
from rcontainer.errors import BadInput

KEYS = [
    "image",
    "build",
    "command",
    "entrypoint",
    "environment",
    "env_file",
    "ports",
    "volumes",
    "healthcheck",
    "restart",
    "runtime",
    "userns_mode",
    "deploy",
    "cap_add",
    "cap_drop",
    "read_only",
    "stop_signal",
    "stop_grace_period",
    "labels",
    "hostname",
    "dns",
    "extra_hosts",
    "network_mode",
    "user",
    "working_dir",
    "tty",
    "privileged",
    "depends_on",
    "networks",
    "x-custom",
    "container_name",
    "security_opt",
    "extends",
    "provider",
]
SCALAR = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 70000),
    st.text(max_size=20),
    st.sampled_from(
        [
            "8080:80",
            "./data:/data:ro",
            "nginx:1",
            "1.5",
            "512m",
            "30s",
            "no",
            "on-failure:3",
            "host",
            "none",
            "${X:-y}",
            "$$",
            "SIGTERM",
            "CMD",
            "web",
            "compose.yaml",
            "$1 $(date)",
            "${",
        ]
    ),
)
VALUE = st.recursive(
    SCALAR,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(
            st.sampled_from(
                KEYS
                + [
                    "test",
                    "limits",
                    "memory",
                    "cpus",
                    "target",
                    "published",
                    "source",
                    "type",
                    "service",
                    "file",
                ]
            ),
            inner,
            max_size=4,
        ),
    ),
    max_leaves=12,
)
SERVICE = st.dictionaries(st.sampled_from(KEYS), VALUE, max_size=6)
DOC = st.one_of(
    st.fixed_dictionaries(
        {
            "services": st.dictionaries(
                st.sampled_from(["web", "db", "a b", "x", "1"]), st.one_of(SERVICE, VALUE), max_size=3
            )
        },
        optional={"include": st.one_of(st.lists(st.sampled_from(["compose.yaml", "other.yaml"])), VALUE)},
    ),
    VALUE,
)


@settings(
    max_examples=int(os.environ.get("RC_FUZZ_EXAMPLES", "300")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(doc=DOC)
def test_any_compose_document_gives_profiles_or_a_clear_error(doc, tmp_path: Path):
    source = tmp_path / "compose.yaml"
    source.write_text(json.dumps(doc))
    out = tmp_path / "out"
    try:
        result = import_compose(source, output_dir=out, force=True)
    except BadInput as exc:
        assert exc.message and "Traceback" not in exc.message
        return
    assert result is not None
