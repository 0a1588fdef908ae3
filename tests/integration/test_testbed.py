"""The test bed itself: a pull from the loopback registry through the rootless socket, and a
container that really runs in a user namespace."""

from __future__ import annotations


def test_pull_from_loopback_registry_and_run_in_a_user_namespace(podman_env, registry_image):
    from podman import PodmanClient

    with PodmanClient(base_url=podman_env.url, timeout=120) as client:
        image = client.images.pull(registry_image, tls_verify=False)
        assert image.id, "a failed pull can return an image with an empty id"
        assert registry_image in image.tags
        container = client.containers.create(
            image.id, command=["cat", "/proc/self/uid_map"], network_mode="none", remove=False
        )
        try:
            container.start()
            assert container.wait(timeout=60) == 0
            uid_map = b"".join(container.logs(stdout=True, stderr=False)).decode().split()
        finally:
            container.remove(force=True)
        client.images.remove(registry_image)
    # uid 0 inside maps to the unprivileged user outside, over a range of 1 (the user) — a user namespace
    inside, outside, count = (int(x) for x in uid_map[:3])
    assert inside == 0 and outside != 0 and count >= 1
