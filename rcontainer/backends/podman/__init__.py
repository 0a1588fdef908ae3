"""The Podman runtime family: the libpod REST client, the service, create specs, images."""
