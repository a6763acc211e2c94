"""``ray start`` for a second node on this machine, kept on loopback (tests only).

Ray's CLI refuses a worker node when multi-node support is off, and with it on it
replaces 127.0.0.1 with the machine's outward address. A test cluster must stay on
loopback, so this runs Ray's own ``ray start`` with the local address pinned, through
two private names of Ray 2.60 (``ray_constants.ENABLE_RAY_CLUSTER`` and
``services.get_node_ip_address``) that no public option reaches.

    python tests/raynode.py start --address=127.0.0.1:PORT --node-ip-address=127.0.0.1 ...
"""

import os
import sys

os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"  # for the processes this node starts

import ray._private.ray_constants as ray_constants  # noqa: E402
import ray._private.services as services  # noqa: E402

ray_constants.ENABLE_RAY_CLUSTER = True  # let the CLI start a worker node...
services.get_node_ip_address = lambda address=None: "127.0.0.1"  # ...on loopback

from ray.scripts.scripts import main  # noqa: E402

if __name__ == "__main__":
    sys.argv = ["ray", *sys.argv[1:]]
    main()
