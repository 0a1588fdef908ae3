"""Conversions to and from other formats, each reporting what it cannot carry over as ``Loss``es.

- ``compose``: Compose services -> profiles (``rcontainer import``);
- ``kube`` (with ``kube_pod``, ``kube_container``, ``kube_names``): profiles -> Kubernetes objects;
  ``kube_project``: a project folder -> the same, plus a Service per name and a wait per dependency;
- ``quadlet``: a profile -> a Podman Quadlet ``.container`` file (``systemd generate --format quadlet``);
- ``loss``: the ``Loss`` they share.
"""
