"""The bubblewrap runtime family: no daemon; a supervisor per container.

``backend``       ``BwrapBackend``, what the engine drives (given an image source)
``capabilities``  what the family can do and which profile values it refuses (import-light)
``rootfs``        the shared cache of unpacked image trees
``root``          a container's own root, made at create from the image's tree
``argv``          bwrap's options, user, command and environment for a container
``spec``          a container's spec.json: root laid out, arguments written (no secret values)
``secret_env``    where secret values come from at start and exec, never from a file we write
``launch``        starting the supervisor and waiting for its first report
``supervisor``    the detached process that runs bwrap and writes the log and runtime.json
``status``        runtime.json, written by the supervisor, read by the backend
``framing``       the container's output as k8s-file log records
``procs``         pids with start time and boot id, signals, a PID namespace's processes
``cgroup``        a cgroup v2 of the container's own (the freezer), where the host allows one
``nsjoin``        joining a running container's namespaces for ``exec``
``privileges``    the container's capabilities and no_new_privs, taken on by what joins it
``terminal``      an interactive exec's own pseudo-terminal, relayed to the caller's

The supervisor runs under ``python -S`` (no site-packages): it and what it imports
(``status``, ``framing``, ``procs``, ``cgroup``, ``privileges``) use the standard library only.
"""
