"""Spec → Tuner → results: everything that needs Ray happens here, after validation.

Data is loaded and resources checked before Ray starts, so bad input costs no
cluster time. A local run starts its own Ray instance on loopback only.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

from ray import tune

from experiments.algorithms import ALGORITHMS, MODEL_BASED_MAX_CONCURRENT
from experiments.final import run_final
from experiments.manifest import environment
from experiments.progress import ProgressCallback
from experiments.report import write_report
from experiments.results import FLUSH_EVERY_S, SweepInterrupted, SweepRecord, SweepResult, ended_trials, error_message
from experiments.schedulers import SCHEDULERS
from experiments.spec import Spec
from experiments.storage import RunLocation, run_location
from trainables.cnn import TrainSettings, train_cnn
from trainables.data import PreparedData, prepare
from trainables.registry import InputError
from trainables.training import EarlyStopping

LOOPBACK = "127.0.0.1"
AUTOSCALER_CONFIG = "~/ray_bootstrap_config.yaml"  # written on the head node by `ray up`


def location_of(spec: Spec) -> RunLocation:
    return run_location(spec.storage, spec.name)


def prepare_data(spec: Spec) -> PreparedData:
    dataset = spec.dataset
    return prepare(
        dataset.name,
        validation=dataset.validation,
        test=dataset.test,
        folds=dataset.folds,
        seed=dataset.seed,
        limit=dataset.limit,
        path=dataset.path,
    )


def train_settings(spec: Spec) -> TrainSettings:
    rule = spec.train.early_stopping
    return TrainSettings(
        model=spec.model,
        max_epochs=spec.train.max_epochs,
        early_stopping=EarlyStopping(**rule.model_dump()) if rule else None,
        checkpoint_every=spec.checkpoint.every,
        cpus=spec.resources.cpu,
        gpus=spec.resources.gpu,
        seed=spec.train.seed,
        divergence_factor=spec.train.divergence_factor,
    )


def local_capacity(num_cpus: int | None, num_gpus: int | None) -> dict[str, float]:
    """What a local Ray instance will offer: the machine, or the logical counts asked for."""
    if num_gpus is None:
        from ray._private.accelerators import get_accelerator_manager_for_resource

        num_gpus = get_accelerator_manager_for_resource("GPU").get_current_node_num_accelerators()
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None and num_gpus > len([device for device in visible.split(",") if device.strip()]):
        raise InputError(
            f"--num-gpus: {num_gpus} GPUs asked for but CUDA_VISIBLE_DEVICES='{visible}' lists fewer, and Ray "
            f"refuses that; unset CUDA_VISIBLE_DEVICES to declare logical GPUs"
        )
    return {"CPU": num_cpus or os.cpu_count() or 1, "GPU": num_gpus}


def check_fits(spec: Spec, largest_node: dict[str, float], where: str) -> None:
    """Refuse a trial larger than any node: Ray would wait for it forever."""
    for field, resource in (("cpu", "CPU"), ("gpu", "GPU")):
        wanted = getattr(spec.resources, field)
        available = largest_node.get(resource, 0)
        if wanted > available:
            hint = " (declare logical GPUs with --num-gpus, or set resources.gpu: 0)" if resource == "GPU" else ""
            raise InputError(
                f"resources.{field}: each trial asks for {wanted:g} {resource} but {where} has at most "
                f"{available:g} on one node{hint}"
            )


def check_run_dir(location: RunLocation, resume: bool) -> None:
    exists = location.has_sweep()
    if exists and not resume:
        raise InputError(
            f"name: {location.uri} already holds a sweep; pass --resume to continue it, or --name to start another"
        )
    if resume and not exists:
        raise InputError(f"--resume: there is no sweep to resume at {location.uri}")


def stay_on_loopback() -> None:
    """Keep a local Ray instance, and every process it starts, on 127.0.0.1.

    On Linux Ray replaces a loopback node address with the machine's outward
    address unless multi-node support is off; a local run needs no other node.
    """
    import ray._private.ray_constants as ray_constants

    os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
    ray_constants.ENABLE_RAY_CLUSTER = False


@contextlib.contextmanager
def ray_session(address: str | None, num_cpus: int | None, num_gpus: int | None) -> Iterator[None]:
    """Join ``address``, reuse the notebook's Ray, or start a local instance on loopback."""
    import ray

    if ray.is_initialized():
        yield
        return
    if address:
        ray.init(address=address, log_to_driver=True)
    else:
        stay_on_loopback()
        ray.init(
            address="local",
            num_cpus=num_cpus,
            num_gpus=num_gpus,
            _node_ip_address=LOOPBACK,
            dashboard_host=LOOPBACK,
        )
    try:
        yield
    finally:
        ray.shutdown()


def cluster_nodes() -> list[dict[str, float]]:
    """Resources of every node the cluster has, or can add: its live nodes and, on a head
    started by `ray up`, each node type the autoscaler may launch (GPU workers often start at 0)."""
    import ray

    nodes = [node["Resources"] for node in ray.nodes() if node.get("Alive")]
    bootstrap = Path(AUTOSCALER_CONFIG).expanduser()
    if bootstrap.is_file():
        import yaml

        node_types = (yaml.safe_load(bootstrap.read_text()) or {}).get("available_node_types", {})
        nodes += [node_type.get("resources", {}) for node_type in node_types.values() if node_type.get("max_workers", 1)]
    return nodes


def largest(nodes: list[dict[str, float]]) -> dict[str, float]:
    return {resource: max((node.get(resource, 0) for node in nodes), default=0) for resource in ("CPU", "GPU")}


def check_shared_storage(spec: Spec, location: RunLocation, nodes: int) -> None:
    """Trials on several nodes write checkpoints the driver must read: a node-local folder won't do."""
    if nodes > 1 and not location.remote and not spec.storage_shared:
        raise InputError(
            f"storage: this cluster has {nodes} nodes (or can add them) but '{spec.storage}' is a folder on each "
            f"node's own disk, where trials on other nodes would leave their checkpoints; use an s3:// URI, or a "
            f"path every node mounts (NFS) and set storage_shared: true"
        )


class RecordCallback(tune.Callback):
    """Writes the sweep's record as Ray reports; on resume, first reads it back."""

    def __init__(self, record: SweepRecord, scheduler, stopper: SweepStopper | None) -> None:
        self.record = record
        # the same objects Tune uses, also after a restore (they are pickled together)
        self.scheduler, self.stopper = scheduler, stopper
        self.last_flush, self.total, self.ended = 0.0, None, set()

    def setup(self, total_num_samples: int | None = None, **info: Any) -> None:
        self.total = total_num_samples
        self.record.load()
        self.record.interrupted = False
        self.ended = {trial_id for trial_id, trial in self.record.trials.items() if trial.status != "running"}
        if hasattr(self.scheduler, "replay"):
            self.scheduler.replay(self.record.arrivals())
        if self.stopper is not None:
            self.stopper.epochs = self.record.epochs_spent

    def on_trial_result(self, iteration, trials, trial, result, **info) -> None:
        self.record.add_result(trial.trial_id, trial.config, result)
        if time.time() - self.last_flush > FLUSH_EVERY_S:
            self.flush()

    def on_trial_complete(self, iteration, trials, trial, **info) -> None:
        if trial.trial_id in self.ended:  # ended before a crash; the trainable only returned
            return
        self.ended.add(trial.trial_id)
        self.record.finish_trial(trial.trial_id, trial.config, None)
        self.flush()

    def on_trial_error(self, iteration, trials, trial, **info) -> None:
        self.ended.add(trial.trial_id)
        self.record.finish_trial(trial.trial_id, trial.config, error_message(trial))
        self.flush()

    def on_trial_recover(self, iteration, trials, trial, **info) -> None:
        self.record.add_retry(trial.trial_id)

    def on_experiment_end(self, trials, **info) -> None:
        """Tune ends an interrupted sweep as it ends a finished one (it marks the trials it cut
        off as terminated): a trial that never completed, or samples never drawn while time was
        left, mean it was interrupted."""
        self.record.finished = time.time()
        cut_off = any(trial.trial_id not in self.ended for trial in trials) or len(trials) < (self.total or 0)
        self.record.interrupted = cut_off and not self.record.budget_spent(self.record.finished)
        self.flush()

    def flush(self) -> None:
        self.record.flush()
        self.last_flush = time.time()


class SweepStopper(tune.Stopper):
    """The spec's stop rules: a trial stops once the metric reaches ``stop.target`` (in the
    metric's direction); the sweep stops once ``stop.epochs_budget`` epochs were trained."""

    def __init__(self, metric: str, mode: str, target: float | None, epochs_budget: int | None) -> None:
        self.metric, self.mode, self.target, self.epochs_budget = metric, mode, target, epochs_budget
        self.epochs = 0

    def __call__(self, trial_id: str, result: dict) -> bool:
        self.epochs += 1
        value = result.get(self.metric)
        if self.target is None or value is None:
            return False
        return value >= self.target if self.mode == "max" else value <= self.target

    def stop_all(self) -> bool:
        return self.epochs_budget is not None and self.epochs >= self.epochs_budget


def build_tuner(
    spec: Spec, data: PreparedData, location: RunLocation, resume: bool, verbose: int, trainable: Any = None
) -> tune.Tuner:
    """The Tuner for ``spec``. ``trainable`` replaces the CNN only to measure the controller itself
    (benchmarks/overhead.py): everything else is what a real sweep runs."""
    ended = ended_trials(location.local) if resume else frozenset()
    trainable = tune.with_resources(
        trainable or tune.with_parameters(train_cnn, data=data, settings=train_settings(spec), ended=ended),
        {"cpu": spec.resources.cpu, "gpu": spec.resources.gpu},
    )
    if resume:
        return tune.Tuner.restore(location.uri, trainable=trainable, resume_unfinished=True, resume_errored=False)

    algorithm = ALGORITHMS.load(spec.search.algorithm)
    search_alg, param_space = algorithm.build(spec.search_space, spec.search, spec.metric, spec.objective_mode)
    max_concurrent = spec.search.max_concurrent or (MODEL_BASED_MAX_CONCURRENT if algorithm.MODEL_BASED else None)
    record = SweepRecord(location, spec.as_data(), list(spec.search_space.domains))
    scheduler = SCHEDULERS.load(spec.scheduler.name).build(spec)
    rules = spec.stop.target is not None or spec.stop.epochs_budget is not None
    stopper = SweepStopper(spec.metric, spec.objective_mode, spec.stop.target, spec.stop.epochs_budget) if rules else None
    callbacks = [RecordCallback(record, scheduler, stopper)]
    if verbose == 1:
        callbacks.append(ProgressCallback(record))
    if spec.tracking.mlflow_uri:
        from ray.air.integrations.mlflow import MLflowLoggerCallback

        callbacks.append(MLflowLoggerCallback(spec.tracking.mlflow_uri, experiment_name=spec.tracking.mlflow_experiment or spec.name))
    return tune.Tuner(
        trainable,
        param_space=param_space,
        tune_config=tune.TuneConfig(
            metric=spec.metric,
            mode=spec.objective_mode,
            search_alg=search_alg,
            scheduler=scheduler,
            num_samples=spec.search.num_samples,
            max_concurrent_trials=max_concurrent if algorithm.MODEL_BASED else None,
            time_budget_s=spec.stop.time_budget_s,
            reuse_actors=True,
        ),
        run_config=tune.RunConfig(
            name=location.name,
            storage_path=location.storage_path,
            callbacks=callbacks,
            stop=stopper,
            failure_config=tune.FailureConfig(max_failures=spec.failure.max_failures),
            checkpoint_config=tune.CheckpointConfig(num_to_keep=spec.checkpoint.keep),
            verbose=max(0, verbose - 1),
        ),
    )


def run_spec(
    spec: Spec,
    *,
    address: str | None = None,
    resume: bool = False,
    num_cpus: int | None = None,
    num_gpus: int | None = None,
    verbose: int = 1,
) -> SweepResult:
    """Run (or resume) the sweep ``spec`` describes and return what it left on disk.

    ``verbose``: 0 silent, 1 a line per finished trial, 2 and 3 Ray Tune's own display.
    """
    location = location_of(spec)
    check_run_dir(location, resume)
    if not address:
        check_fits(spec, local_capacity(num_cpus, num_gpus), "this machine")
    data = prepare_data(spec)
    if resume:
        location.fetch()
    location.local.mkdir(parents=True, exist_ok=True)
    # A forced experiment snapshot per `checkpoint.keep` epochs is the point: no warning for it.
    os.environ.setdefault("TUNE_WARN_EXCESSIVE_EXPERIMENT_CHECKPOINT_SYNC_THRESHOLD_S", "0")
    with ray_session(address, num_cpus, num_gpus):
        nodes = cluster_nodes()
        check_fits(spec, largest(nodes), "the cluster" if address else "this machine")
        check_shared_storage(spec, location, len(nodes))
        write_manifest(spec, location, resume)
        build_tuner(spec, data, location, resume, verbose).fit()
        result = SweepResult(location.local)
        if result.summary["state"] == "interrupted":
            write_manifest(spec, location, resume, finished=True)
            raise SweepInterrupted(result)
        if spec.final.enabled:
            run_final(spec, data, train_settings(spec), result, location)
    if result.best:
        write_report(result)
    write_manifest(spec, location, resume, finished=True)  # publishes the report too
    return result


def write_manifest(spec: Spec, location: RunLocation, resume: bool, finished: bool = False) -> None:
    """``manifest.json``: the spec as run, seeds, versions, hardware, commit; start and end times."""
    path = location.local / "manifest.json"
    manifest = json.loads(path.read_text()) if path.is_file() else {"runs": []}
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    if finished:
        manifest["runs"][-1]["finished"] = now
    else:
        import ray

        manifest.update(
            spec=spec.as_data(),
            seeds={"data": spec.dataset.seed, "search": spec.search.seed, "training": spec.train.seed},
            **environment(),
        )
        manifest["runs"].append({"started": now, "resumed": resume, "ray_address": ray.get_runtime_context().gcs_address})
    path.write_text(json.dumps(manifest, indent=2))
    location.publish()
