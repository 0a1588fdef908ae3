"""The Podman runtime family: the libpod REST client (api), the service (service), create specs
(spec), images, the runtime probe (probe) and the backend the engine drives (backend)."""
