"""How large is a trial, and will it fit where it is sent? Checked before any trial starts, so Ray never waits forever.

``resources.cpu: auto`` becomes a number here, once Ray's nodes are known: each of the trials
that can run at once gets an equal whole share of the largest node's cores (a trial runs on one
node). Small CNNs use cores better side by side than as threads inside one trial, so only cores
left over once every trial that can run has one go to threads.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from core.errors import InputError
from experiments.algorithms import algorithm
from experiments.resume import recorded_spec
from experiments.spec import Spec
from experiments.storage import RunLocation

AUTOSCALER_CONFIG = "~/ray_bootstrap_config.yaml"  # written on the head node by `ray up`
AUTO = "auto"


def _count(number: float, unit: str) -> str:
    return f"{number:g} {unit}{'' if number == 1 else 's'}"


@dataclass(frozen=True)
class CpuShare:
    """What ``auto`` chose and why: the first line a run prints."""

    cpu: int  # per trial
    at_once: int
    cores: int
    why: str  # what bounds the trials at once

    def line(self) -> str:
        return (f"resources: cpu auto -> {_count(self.cpu, 'CPU')} per trial, {_count(self.at_once, 'trial')} at once "
                f"on {_count(self.cores, 'CPU')} ({self.why})")


def share_cpus(
    cores: float,
    trials: int,
    *,
    max_concurrent: int | None = None,
    searcher_limit: int | None = None,
    gpus: float = 0,
    gpu: float = 0,
) -> CpuShare:
    """floor(cores / trials at once), at least 1; trials at once is the least of the cores, the sweep's
    trials, search.max_concurrent, the searcher's own limit and, with a GPU per trial, the trials the GPUs hold."""
    cores = max(1, int(cores))
    limits = [(cores, "one trial per CPU"), (trials, f"the sweep has {_count(trials, 'trial')}")]
    if max_concurrent:
        limits.append((max_concurrent, f"search.max_concurrent: {max_concurrent}"))
    if searcher_limit:
        limits.append((searcher_limit, f"the searcher runs at most {searcher_limit} at once; search.max_concurrent changes that"))
    if gpu > 0:
        fit = math.floor(gpus / gpu + 1e-9)  # 0.3 / 0.1 is 2.999...
        limits.append((fit, f"{_count(fit, 'trial')} at {gpu:g} GPU on {_count(gpus, 'GPU')}"))
    at_once, why = min(limits, key=lambda limit: limit[0])  # the first of equal limits names the reason
    at_once = max(1, at_once)
    return CpuShare(max(1, cores // at_once), at_once, cores, why)


def with_cpu(spec: Spec, cpu: float) -> Spec:
    return spec.model_copy(update={"resources": spec.resources.model_copy(update={"cpu": float(cpu)})})


def resolve_cpu(spec: Spec, nodes: list[dict[str, float]]) -> tuple[Spec, CpuShare | None]:
    """The spec with ``auto`` made the number Ray's ``nodes`` allow; None: it was a number already."""
    if spec.resources.cpu != AUTO:
        return spec, None
    gpu = spec.resources.gpu
    node = largest([node for node in nodes if node.get("GPU", 0) >= gpu] or nodes)  # where a trial can land
    share = share_cpus(
        node["CPU"],
        spec.search_space.grid_size() * spec.search.num_samples,
        max_concurrent=spec.search.max_concurrent,
        searcher_limit=algorithm(spec.search.algorithm).max_concurrent_trials(spec.search),
        gpus=node["GPU"],
        gpu=gpu,
    )
    return with_cpu(spec, share.cpu), share


def cpu_as_recorded(spec: Spec, location: RunLocation) -> tuple[Spec, str | None]:
    """On resume, ``auto`` is the number it became when the run started: Tune restores trials of that size,
    and the recorded spec holds it. None: nothing to say (a number given, or no record yet)."""
    if spec.resources.cpu != AUTO:
        return spec, None
    location.fetch()
    cpu = ((recorded_spec(location.local) or {}).get("resources") or {}).get("cpu")
    if isinstance(cpu, bool) or not isinstance(cpu, (int, float)):
        return spec, None
    return with_cpu(spec, cpu), f"resources: cpu auto -> {_count(cpu, 'CPU')} per trial, as when the run started"


def machine_cpus() -> int:
    """The cores this process may use: its affinity (taskset, cpusets), within a container's CPU quota."""
    from ray._private.utils import get_num_cpus  # private in Ray 2.60: the count ray.init takes, quota included

    allowed = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(allowed, int(get_num_cpus())))


def local_capacity(num_cpus: int | None, num_gpus: int | None) -> dict[str, float]:
    """What a local Ray instance will offer: the cores this process may use, or the logical counts asked for."""
    if num_gpus is None:
        # Private in Ray 2.60, and the function `ray.init` itself uses to count GPUs:
        # asking it gives the same answer Ray will, before Ray starts.
        from ray._private.accelerators import get_accelerator_manager_for_resource

        num_gpus = get_accelerator_manager_for_resource("GPU").get_current_node_num_accelerators()
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None and num_gpus > len([device for device in visible.split(",") if device.strip()]):
        raise InputError(
            f"--num-gpus: {num_gpus} GPUs asked for but CUDA_VISIBLE_DEVICES='{visible}' lists fewer, and Ray "
            f"refuses that; unset CUDA_VISIBLE_DEVICES to declare logical GPUs"
        )
    return {"CPU": num_cpus or machine_cpus(), "GPU": num_gpus}


def live_nodes() -> list[dict[str, float]]:
    import ray

    return [node["Resources"] for node in ray.nodes() if node.get("Alive")]


def autoscaled_nodes() -> list[dict[str, float]]:
    """On a head started by `ray up`, each node type the autoscaler may launch (GPU workers often start at 0)."""
    bootstrap = Path(AUTOSCALER_CONFIG).expanduser()
    if not bootstrap.is_file():
        return []
    import yaml

    node_types = (yaml.safe_load(bootstrap.read_text()) or {}).get("available_node_types", {})
    return [node_type.get("resources", {}) for node_type in node_types.values() if node_type.get("max_workers", 1)]


def queue_limit(spec: Spec, nodes: list[dict[str, float]]) -> int:
    """The trials Tune may hold waiting beside the running ones: as many as ``nodes`` run at once, so that
    a freed slot is taken at once. Ray's own limit for random and grid search, max(200, 1.1 x CPUs), is
    there to wake an autoscaler; elsewhere it makes a placement group and a trial folder for each of up to
    200 trials that a budget may never reach."""
    cpu, gpu = spec.resources.cpu, spec.resources.gpu
    slots = 0
    for node in nodes:
        fits = math.floor(node.get("CPU", 0) / cpu + 1e-9)
        slots += min(fits, math.floor(node.get("GPU", 0) / gpu + 1e-9)) if gpu else fits
    return max(1, slots)


def largest(nodes: list[dict[str, float]]) -> dict[str, float]:
    return {resource: max((node.get(resource, 0) for node in nodes), default=0) for resource in ("CPU", "GPU")}


def check_fits(spec: Spec, largest_node: dict[str, float], where: str) -> None:
    """Refuse a trial larger than any node: Ray would wait for it forever."""
    for field, resource in (("cpu", "CPU"), ("gpu", "GPU")):
        wanted = getattr(spec.resources, field)
        wanted = 1 if wanted == AUTO else wanted  # the least auto gives
        available = largest_node.get(resource, 0)
        if wanted > available:
            hint = " (declare logical GPUs with --num-gpus, or set resources.gpu: 0)" if resource == "GPU" else ""
            raise InputError(
                f"resources.{field}: each trial asks for {wanted:g} {resource} but {where} has at most "
                f"{available:g} on one node{hint}"
            )


def fitting_local_cpus(specs: Iterable[Spec], num_cpus: int | None, num_gpus: int | None) -> int:
    """The CPUs to start a local Ray instance with, once every spec's trial is known to fit on it
    (refused before Ray starts). Ray's own count ignores CPU affinity: it gets the one auto shares out."""
    capacity = local_capacity(num_cpus, num_gpus)
    for spec in specs:
        check_fits(spec, capacity, "this machine")
    return int(capacity["CPU"])


def check_shared_storage(spec: Spec, location: RunLocation, nodes: int) -> None:
    """Trials on several nodes write checkpoints the driver must read: a node-local folder won't do."""
    if nodes > 1 and not location.remote and not spec.storage_shared:
        raise InputError(
            f"storage: this cluster has {nodes} nodes (or can add them) but '{spec.storage}' is a folder on each "
            f"node's own disk, where trials on other nodes would leave their checkpoints; use an s3:// URI, or a "
            f"path every node mounts (NFS) and set storage_shared: true"
        )
