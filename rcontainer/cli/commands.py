"""Every command of the command line, by name: the module under ``rcontainer.cli`` that holds it
and the click command's name there. The root group (``root.py``) loads a module only when its
command runs or is completed."""

from __future__ import annotations

# command name -> (module under rcontainer.cli, the click command's name in it)
COMMANDS: dict[str, tuple[str, str]] = {
    "pull": ("images", "pull"),
    "build": ("images", "build"),
    "images": ("images", "images"),
    "up": ("containers", "up"),
    "down": ("containers", "down"),
    "create": ("containers", "create"),
    "start": ("containers", "start"),
    "stop": ("containers", "stop"),
    "restart": ("containers", "restart"),
    "kill": ("containers", "kill"),
    "pause": ("containers", "pause"),
    "unpause": ("containers", "unpause"),
    "rm": ("containers", "rm"),
    "prune": ("containers", "prune"),
    "ps": ("looking", "ps"),
    "inspect": ("looking", "inspect"),
    "history": ("looking", "history"),
    "logs": ("looking", "logs"),
    "wait": ("looking", "wait"),
    "events": ("looking", "events"),
    "exec": ("exec", "exec_"),
    "shell": ("exec", "shell"),
    "validate": ("profiles", "validate"),
    "render": ("profiles", "render"),
    "runtimes": ("runtimes", "runtimes_cmd"),
    "doctor": ("doctor", "doctor"),
    "info": ("info", "info"),
    "systemd": ("systemd", "systemd_group"),
    "run-unit": ("systemd", "run_unit"),
    "volumes": ("volumes", "volumes_group"),
    "kube": ("kube", "kube_group"),
    "import": ("compose", "import_cmd"),
    "completion": ("completion", "completion"),
}
