"""``cnn-tune plan EXPERIMENT``: what a sweep will cost, before anything is spent.

Probes the corners of the space (``experiments.forecast``) as Ray tasks with a trial's resources,
where the sweep would run (this machine, or the cluster at ``--address``), then forecasts the
sweep's wall time, CPU/GPU-hours and, for a ``--cluster`` file whose instance types are priced,
its cost. The forecast lands in the run's folder as ``plan.json``; the run's report sets it
against what the sweep took.
"""

from __future__ import annotations

import json
import math
import time
from typing import Any

from core.errors import InputError
from experiments.capacity import autoscaled_nodes, check_fits, largest, live_nodes, local_capacity, queue_limit, resolve_cpu
from experiments.forecast import Costs, corners, cost_drivers, draw_sweeps, simulate, sweep_seconds
from experiments.rehearsal import tune_seconds
from experiments.spec import Spec
from experiments.storage import run_location

PLAN = "plan.json"


def trials_at_once(spec: Spec, nodes: list[dict[str, float]], trials: int) -> int:
    """What the Tuner will run at once: the slots the nodes hold, within the searcher's and the spec's caps."""
    from experiments.algorithms import algorithm

    limits = [queue_limit(spec, nodes), trials, spec.search.max_concurrent, algorithm(spec.search.algorithm).max_concurrent_trials(spec.search)]
    return max(1, min(limit for limit in limits if limit))


def _probe_all(spec: Spec, data, model, configs: list[dict[str, Any]], gpu: float) -> list[dict[str, Any]]:
    import ray

    from experiments.tuner import train_settings
    from trainables.probe import probe

    task = ray.remote(num_cpus=spec.resources.cpu, num_gpus=gpu, max_retries=0)(probe)
    shared = ray.put(data)
    settings = train_settings(spec, model)
    return ray.get([task.remote(config, shared, settings) for config in configs])


def after_sweep_s(spec: Spec, costs: Costs, configs: list[dict[str, Any]], slots: int, data) -> float:
    """Finalists and the final retrain, at the median configuration's cost, for ``final.epochs`` or every
    epoch; the retrain trains one model on the whole pool where a trial trained each fold on its part."""
    epochs = spec.final.epochs or spec.train.max_epochs
    runs = sorted(sum(costs.epoch_seconds(config, epochs)) for config in configs)
    one = runs[len(runs) // 2]
    seconds = math.ceil(spec.final.finalists * spec.final.seeds / slots) * one if spec.final.finalists else 0.0
    if spec.final.enabled:
        seconds += one / len(data.folds) * len(data.pool.y) / len(data.folds[0][0])
    return seconds


def plan_run(spec: Spec, address: str | None = None, cluster: str | None = None, num_cpus: int | None = None,
             num_gpus: int | None = None) -> dict[str, Any]:
    """Probe, forecast, write ``plan.json`` into the run's folder and return what it holds (``describe`` words it)."""
    from experiments.prices import AS_OF, cluster_nodes, nodes_used
    from experiments.ray_start import ray_session
    from experiments.tuner import prepare_data
    from experiments.user_model import resolve_model

    location = run_location(spec.storage, spec.name)
    if location.has_sweep():
        raise InputError(f"name: {location.uri} already holds a sweep; plan a new one with --name")
    priced = cluster_nodes(cluster) if cluster else None
    gpu = 0.0 if priced and not address else spec.resources.gpu  # a cluster file's GPUs are not here to probe on
    started = time.perf_counter()
    data = prepare_data(spec)
    model, _ = resolve_model(spec, data)
    data_s = time.perf_counter() - started
    if not address:
        capacity = local_capacity(num_cpus, num_gpus)
        num_cpus = int(capacity["CPU"])
    with ray_session(address, num_cpus, num_gpus):
        ray_s = time.perf_counter() - started - data_s
        here = live_nodes() + (autoscaled_nodes() if address else [])
        nodes = [{"CPU": node["CPU"], "GPU": node["GPU"]} for node in priced] if priced else here
        spec, share = resolve_cpu(spec, nodes)
        check_fits(spec.model_copy(update={"resources": spec.resources.model_copy(update={"gpu": gpu})}), largest(here),
                   "the cluster" if address else "this machine")
        sweeps = draw_sweeps(spec)
        slots = trials_at_once(spec, nodes, len(sweeps[0]))
        tune_s = tune_seconds(slots, spec.resources.cpu, gpu)
        probed_at = time.perf_counter()
        drivers = cost_drivers(spec.search_space)
        probes = _probe_all(spec, data, model, corners(spec.search_space, drivers), gpu)
        probe_s = time.perf_counter() - probed_at
    costs = Costs(drivers, probes)
    found = simulate(spec, sweeps, costs, slots)
    sweep = sweep_seconds(spec, costs, found, tune_s)
    after = after_sweep_s(spec, costs, [config for configs in sweeps for config in configs], slots, data)
    hours = sweep["median"] / 3600
    used = nodes_used(priced, spec.resources.cpu, spec.resources.gpu, slots) if priced else None
    prices = [node["usd_per_hour"] for node in used] if used else []
    usd = (sweep["median"] + after) / 3600 * sum(prices) if prices and None not in prices else None
    forecast = {
        "sweep_s": sweep, "after_s": after, "before_s": data_s + ray_s,
        "whole_s": data_s + ray_s + sweep["median"] + after, "tune_s": tune_s, "startup_s": costs.startup_s,
        "cpu_hours": hours * slots * spec.resources.cpu, "gpu_hours": hours * slots * spec.resources.gpu,
        "usd": usd, "prices": AS_OF if priced else None,
    }
    record = {
        "experiment": spec.name, "where": address or ("this machine, for " + cluster if cluster else "this machine"),
        "trials": len(sweeps[0]), "draws": len(sweeps), "slots": slots, "cpu_per_trial": spec.resources.cpu, "gpu_per_trial": spec.resources.gpu,
        "drivers": drivers, "probes": probes, "probe_s": probe_s, "simulation": found, "forecast": forecast,
        "nodes": used, "cpu_share": share.line() if share else None,
    }
    location.local.mkdir(parents=True, exist_ok=True)
    (location.local / PLAN).write_text(json.dumps(record, indent=2, default=str))
    location.publish([PLAN])
    return record


def describe(record: dict[str, Any], spec: Spec) -> str:
    forecast, found, probes = record["forecast"], record["simulation"], record["probes"]
    sweep, epochs = forecast["sweep_s"], found["epochs"]
    steady = [probe["epoch_s"][1] for probe in probes]
    gpus = f", {record['gpu_per_trial']:g} GPU" if record["gpu_per_trial"] else ""
    drivers = ", ".join(record["drivers"]) or "no hyperparameter that sizes the model"
    after = forecast["after_s"]
    then = f", then {_duration(after)} for the finalists and the final retrain" if after else ""
    gpu_hours = f", {forecast['gpu_hours']:.2f} GPU-hours" if forecast["gpu_hours"] else ""
    lines = [
        f"plan {record['experiment']}: {spec.search.algorithm} search x {spec.scheduler.name}, {record['trials']} trials, "
        f"{record['slots']} at once ({record['cpu_per_trial']:g} CPU{gpus} each)",
        f"  probed {len(probes)} configurations ({drivers} at the extremes) on {record['where']} in {record['probe_s']:.0f} s: "
        f"an epoch takes {min(steady):.2f}-{max(steady):.2f} s, the backend's start-up "
        f"{forecast['startup_s']:.1f} s, peak memory {max(p['peak_rss_mb'] for p in probes):.0f} MB per trial",
        f"  Tune's own cost (set-up, actors, the end): {forecast['tune_s']:.1f} s, a sweep of {record['slots']} idle trials",
        f"  epochs: {epochs['median']:.0f} of {found['fifo_epochs']} ({found['scheduler']} over {found['orders']} orders of "
        f"which trials turn out best: {epochs['p10']:.0f}-{epochs['p90']:.0f})",
        *([f"  {spec.search.algorithm}'s proposals are not known before it runs: the forecast weighs {record['draws']} "
           "random draws of the space"] if record["draws"] > 1 else []),
        f"  sweep: {_duration(sweep['median'])} (10-90%: {_duration(sweep['p10'])}-{_duration(sweep['p90'])}){then}; "
        f"whole run about {_duration(forecast['whole_s'])}",
        f"  {forecast['cpu_hours']:.2f} CPU-hours{gpu_hours} reserved by trials",
    ]
    if spec.auto:
        lines.insert(0, spec.auto.line())
    if record["nodes"]:
        usd = forecast["usd"]
        cost = f"${usd:.2f} on-demand ({forecast['prices']})" if usd is not None else "no price for some instance type"
        lines.append(f"  nodes: {', '.join(node['instance'] or node['type'] for node in record['nodes'])}: {cost}")
    return "\n".join(lines)


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.1f} min" if seconds < 7200 else f"{seconds / 3600:.1f} h"


def against_actual(record: dict[str, Any], summary: dict[str, Any]) -> str:
    """The forecast beside what the sweep took (its running time, its epochs), for the report."""
    sweep, epochs = record["forecast"]["sweep_s"], record["simulation"]["epochs"]
    actual = summary["running_s"]
    return (f"Forecast by cnn-tune plan: sweep {_duration(sweep['median'])} (10-90%: {_duration(sweep['p10'])}-"
            f"{_duration(sweep['p90'])}), {epochs['median']:.0f} epochs; actual: {_duration(actual)} "
            f"({actual / sweep['median'] - 1:+.0%}), {summary['epochs_total']} epochs.")
