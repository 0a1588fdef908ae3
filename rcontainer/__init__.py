"""rcontainer: a rootless, userspace container engine for developer workstations."""

__version__ = "0.1.0"
