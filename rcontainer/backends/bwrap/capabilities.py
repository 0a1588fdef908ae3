"""What the bubblewrap family can do (read without importing the backend)."""

from rcontainer.backends.base import Capabilities

CAPABILITIES = Capabilities(pause_method="signal", orphans=False, healthchecks=False)
