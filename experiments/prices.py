"""What a cluster.yaml's nodes hold and cost, for ``cnn-tune plan --cluster``.

On-demand Linux list prices in USD per hour, AWS us-west-2, as the maintainers last knew them
(2024 list prices). They were NOT fetched from AWS by this repository (its machines have no
network): check https://aws.amazon.com/ec2/pricing/on-demand/ before budgeting on them, and add
your own instance types here. Spot prices are lower and move; plan prices on-demand and says so.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from core.errors import InputError

AS_OF = "2024 list prices, us-west-2, on-demand; not re-checked"
INSTANCES: dict[str, dict[str, float]] = {
    "m5.xlarge": {"CPU": 4, "GPU": 0, "usd_per_hour": 0.192},
    "m5.2xlarge": {"CPU": 8, "GPU": 0, "usd_per_hour": 0.384},
    "m5.4xlarge": {"CPU": 16, "GPU": 0, "usd_per_hour": 0.768},
    "c5.4xlarge": {"CPU": 16, "GPU": 0, "usd_per_hour": 0.68},
    "g4dn.xlarge": {"CPU": 4, "GPU": 1, "usd_per_hour": 0.526},
    "g5.xlarge": {"CPU": 4, "GPU": 1, "usd_per_hour": 1.006},
    "g5.2xlarge": {"CPU": 8, "GPU": 1, "usd_per_hour": 1.212},
    "p3.2xlarge": {"CPU": 8, "GPU": 1, "usd_per_hour": 3.06},
}


def cluster_nodes(path: str) -> list[dict[str, Any]]:
    """Every node the cluster may have at its largest: the head, then each worker type up to its
    ``max_workers`` (and the cluster's), with resources from ``resources:`` where it names them, else
    from the instance type, and the price where the table has the type."""
    import yaml

    file = Path(path).expanduser()
    if not file.is_file():
        raise InputError(f"--cluster: no file {path}")
    config = yaml.safe_load(file.read_text()) or {}
    types = config.get("available_node_types") or {}
    head = config.get("head_node_type")
    if head not in types:
        raise InputError(f"--cluster: {path} names no head_node_type among its available_node_types")
    room = config.get("max_workers", math.inf)
    nodes = [_node(head, types[head])]
    for name, node_type in types.items():
        count = 0 if name == head else min(node_type.get("max_workers", 0), room)
        nodes += [_node(name, node_type)] * int(count)
        room -= count
    return nodes


def _node(name: str, node_type: dict[str, Any]) -> dict[str, Any]:
    instance = (node_type.get("node_config") or {}).get("InstanceType", "")
    known = INSTANCES.get(instance, {})
    resources = {key: float(value) for key, value in (node_type.get("resources") or {}).items() if key in ("CPU", "GPU")}
    if "CPU" not in resources and "CPU" not in known:
        raise InputError(f"--cluster: node type {name} ({instance or 'no InstanceType'}) is not in experiments/prices.py; "
                         f"give its resources: {{CPU: N, GPU: N}} in the cluster.yaml")
    return {"type": name, "instance": instance, "CPU": resources.get("CPU", known.get("CPU")),
            "GPU": resources.get("GPU", known.get("GPU", 0)), "usd_per_hour": known.get("usd_per_hour")}


def nodes_used(nodes: list[dict[str, Any]], cpu: float, gpu: float, slots: int) -> list[dict[str, Any]]:
    """The nodes that ``slots`` trials of ``cpu``/``gpu`` fill, head first, then workers in the file's order
    (an autoscaler launches a worker only for trials that need it)."""
    used, left = [], slots
    for index, node in enumerate(nodes):
        fits = math.floor(node["CPU"] / cpu + 1e-9)
        if gpu:
            fits = min(fits, math.floor(node["GPU"] / gpu + 1e-9))
        if index == 0 or (left > 0 and fits > 0):
            used.append(node)
            left -= fits
    return used
