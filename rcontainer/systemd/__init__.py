"""systemd user units for profiles: generate, install, uninstall, and what the unit runs.

- ``unit``: the ``rcontainer-PROJECT.NAME.service`` text of a profile;
- ``syntax``: systemd's rules for writing a value into a unit or a Quadlet file (quoting,
  escapes, specifiers), which every generated value goes through;
- ``install``: ``generate`` (a unit, or a Quadlet file from ``rcontainer.convert.quadlet``),
  ``install`` and ``uninstall`` in the user's systemd folder, through ``systemctl --user``;
- ``project``: a project folder's units, one per profile, its network's, and its ``.target``;
- ``run_unit``: what the unit's ExecStart runs: up, ``READY=1``, wait, the container's exit code.

Nothing here prints: it returns text, notices and losses for the command to show.
"""
