"""``GET /info`` answers of the Podman versions rcontainer supports (the keys it reads).

INFO_43 was recorded from Podman 4.3.1 on the CI machines. INFO_50, INFO_54 and INFO_6
follow Podman 5.0's, 5.4.2's and 6.0's info types (libpod/define/info.go): 5.1+ name the
default rootless network (``rootlessNetworkCmd``); 4.8+ name the database; 6.0 has no
``slirp4netns`` key at all.
"""

from __future__ import annotations

SLIRP = {"executable": "/usr/bin/slirp4netns", "package": "slirp4netns_1.2.0-1_amd64", "version": "1.2.0"}
PASTA = {"executable": "/usr/bin/pasta", "package": "passt_0.0~git20250503-2_amd64", "version": "pasta"}
NOT_FOUND = {"executable": "", "package": "", "version": ""}

INFO_43 = {
    "host": {"networkBackend": "cni", "cgroupVersion": "v1", "slirp4netns": SLIRP},
    "version": {"Version": "4.3.1"},
}
INFO_50 = {
    "host": {"networkBackend": "netavark", "databaseBackend": "sqlite", "slirp4netns": SLIRP, "pasta": PASTA},
    "version": {"Version": "5.0.3"},
}
INFO_54 = {
    "host": {
        "networkBackend": "netavark",
        "databaseBackend": "sqlite",
        "rootlessNetworkCmd": "pasta",
        "slirp4netns": SLIRP,
        "pasta": PASTA,
    },
    "version": {"Version": "5.4.2"},
}
INFO_6 = {
    "host": {
        "networkBackend": "netavark",
        "databaseBackend": "sqlite",
        "rootlessNetworkCmd": "pasta",
        "pasta": PASTA,
    },
    "version": {"Version": "6.0.0"},
}
