"""What the Podman family can do (read without importing the backend)."""

from rcontainer.backends.base import Capabilities, Unsupported

# Podman freezes through the cgroup freezer; rootless on cgroup v1 it cannot, and the backend
# falls back to stopping every process with SIGSTOP (decided at the first pause).
CAPABILITIES = Capabilities(
    pause_method="freezer or signal (decided at the first pause)",
    orphans=True,
    healthchecks=True,
    # conmon runs `podman container cleanup` when a container exits, which restarts it as its
    # restart policy says (not after a stop: Podman records that); no systemd involved
    restarts=True,
    unsupported=(
        # rootlessport (and pasta) forward tcp and udp only: Podman 4.3 fails the start with
        # "rootlessport spec was not validated?"
        Unsupported(
            "network.ports[]",
            lambda port: port["protocol"] == "sctp",
            "rootless Podman cannot publish SCTP ports (its port forwarding is tcp and udp only)",
        ),
    ),
)
