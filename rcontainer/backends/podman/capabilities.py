"""What the Podman family can do (read without importing the backend)."""

from rcontainer.backends.base import Capabilities

# Podman freezes through the cgroup freezer; rootless on cgroup v1 it cannot, and the backend
# falls back to stopping every process with SIGSTOP (decided at the first pause).
CAPABILITIES = Capabilities(
    pause_method="freezer or signal (decided at the first pause)", orphans=True, healthchecks=True
)
