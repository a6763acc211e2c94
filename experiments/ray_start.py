"""Starting or joining Ray: a local run starts its own instance on loopback only."""

from __future__ import annotations

import contextlib
import os
from typing import Iterator

LOOPBACK = "127.0.0.1"
# A local instance starts no idle workers ahead of its first driver: Tune's trial actors never use
# them (each starts its own worker); on two cores Ray started two, about 1.5 CPU-seconds of every
# sweep (measured on a quickstart --smoke, ~0.7 s each).
LOCAL_SYSTEM_CONFIG = {"prestart_worker_first_driver": False}


def init_local(num_cpus: int | None, num_gpus: int | None, dashboard: bool = False, log_to_driver: bool = True) -> None:
    """Start a local Ray instance on loopback only (the sweeps' and the tests' alike)."""
    import ray

    stay_on_loopback()
    ray.init(
        address="local",
        num_cpus=num_cpus,
        num_gpus=num_gpus,
        _node_ip_address=LOOPBACK,
        include_dashboard=dashboard,
        dashboard_host=LOOPBACK,
        log_to_driver=log_to_driver,
        _system_config=dict(LOCAL_SYSTEM_CONFIG),  # ray.init adds to the dict it is given
    )


def stay_on_loopback() -> None:
    """Keep a local Ray instance, and every process it starts, on 127.0.0.1.

    On Linux Ray replaces a loopback node address with the machine's outward
    address unless multi-node support is off; a local run needs no other node.
    """
    import ray._private.ray_constants as ray_constants

    os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
    # Private in Ray 2.60: the environment variable above is read once, when Ray is first
    # imported, so a driver that imported Ray already also needs the constant it was read into.
    ray_constants.ENABLE_RAY_CLUSTER = False


@contextlib.contextmanager
def ray_session(address: str | None, num_cpus: int | None, num_gpus: int | None, dashboard: bool = False) -> Iterator[None]:
    """Join ``address``, reuse the notebook's Ray, or start a local instance on loopback.

    A local instance starts its dashboard only when asked: in a 45-second sweep on two cores it used
    7 of the 73 CPU-seconds that every process together used (one run, exploratory) and took 1.3 s to start."""
    import ray

    if ray.is_initialized():
        yield
        return
    if address:
        ray.init(address=address, log_to_driver=True)
    else:
        init_local(num_cpus, num_gpus, dashboard)
    try:
        yield
    finally:
        ray.shutdown()
