"""Spec → Tuner → results: everything that needs Ray happens here, after validation.

Data is loaded and resources checked before Ray starts, so bad input costs no
cluster time. A local run starts its own Ray instance on loopback only.
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path
from typing import Any, Iterator

from ray import tune

from experiments.algorithms import ALGORITHMS, MODEL_BASED_MAX_CONCURRENT
from experiments.final import run_final
from experiments.progress import ProgressCallback
from experiments.report import history_panels
from experiments.results import FLUSH_EVERY_S, SweepRecord, SweepResult, error_message
from experiments.schedulers import SCHEDULERS
from experiments.spec import Spec
from trainables.cnn import TrainSettings, train_cnn
from trainables.data import PreparedData, prepare
from trainables.registry import InputError
from trainables.training import EarlyStopping

LOOPBACK = "127.0.0.1"


def run_dir_of(spec: Spec) -> Path:
    return Path(spec.storage).expanduser().resolve() / spec.name


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


def check_run_dir(run_dir: Path, resume: bool) -> None:
    from ray import tune

    exists = run_dir.exists() and tune.Tuner.can_restore(str(run_dir))
    if exists and not resume:
        raise InputError(
            f"name: {run_dir} already holds a sweep; pass --resume to continue it, or --name to start another"
        )
    if resume and not exists:
        raise InputError(f"--resume: there is no sweep to resume at {run_dir}")


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


def largest_cluster_node() -> dict[str, float]:
    import ray

    nodes = [node["Resources"] for node in ray.nodes() if node.get("Alive")]
    return {
        resource: max((node.get(resource, 0) for node in nodes), default=0) for resource in ("CPU", "GPU")
    }


class RecordCallback(tune.Callback):
    """Writes the sweep's record as Ray reports; on resume, first reads it back."""

    def __init__(self, record: SweepRecord, target: float | None) -> None:
        self.record, self.target, self.last_flush = record, target, 0.0

    def setup(self, **info: Any) -> None:
        self.record.load()

    def on_trial_result(self, iteration, trials, trial, result, **info) -> None:
        self.record.add_result(trial.trial_id, trial.config, result)
        if time.time() - self.last_flush > FLUSH_EVERY_S:
            self.flush()

    def on_trial_complete(self, iteration, trials, trial, **info) -> None:
        self.record.finish_trial(trial.trial_id, trial.config, None, self.target)
        self.flush()

    def on_trial_error(self, iteration, trials, trial, **info) -> None:
        self.record.finish_trial(trial.trial_id, trial.config, error_message(trial), self.target)
        self.flush()

    def on_experiment_end(self, trials, **info) -> None:
        self.record.finished = time.time()
        self.flush()

    def flush(self) -> None:
        self.record.flush()
        self.last_flush = time.time()


class TargetStopper(tune.Stopper):
    """Stops a trial once the spec's metric reaches ``stop.target`` (in the metric's direction)."""

    def __init__(self, metric: str, mode: str, target: float) -> None:
        self.metric, self.mode, self.target = metric, mode, target

    def __call__(self, trial_id: str, result: dict) -> bool:
        value = result.get(self.metric)
        if value is None:
            return False
        return value >= self.target if self.mode == "max" else value <= self.target

    def stop_all(self) -> bool:
        return False


def build_tuner(spec: Spec, data: PreparedData, run_dir: Path, resume: bool, verbose: int) -> tune.Tuner:
    trainable = tune.with_resources(
        tune.with_parameters(train_cnn, data=data, settings=train_settings(spec)),
        {"cpu": spec.resources.cpu, "gpu": spec.resources.gpu},
    )
    if resume:
        return tune.Tuner.restore(str(run_dir), trainable=trainable, resume_unfinished=True, resume_errored=True)

    algorithm = ALGORITHMS.load(spec.search.algorithm)
    search_alg, param_space = algorithm.build(spec.search_space, spec.search, spec.metric, spec.objective_mode)
    max_concurrent = spec.search.max_concurrent or (MODEL_BASED_MAX_CONCURRENT if algorithm.MODEL_BASED else None)
    record = SweepRecord(run_dir, spec.as_data(), list(spec.search_space.domains))
    callbacks = [RecordCallback(record, spec.stop.target)]
    if verbose == 1:
        callbacks.append(ProgressCallback(record))
    return tune.Tuner(
        trainable,
        param_space=param_space,
        tune_config=tune.TuneConfig(
            metric=spec.metric,
            mode=spec.objective_mode,
            search_alg=search_alg,
            scheduler=SCHEDULERS.load(spec.scheduler.name).build(spec),
            num_samples=spec.search.num_samples,
            max_concurrent_trials=max_concurrent if algorithm.MODEL_BASED else None,
            time_budget_s=spec.stop.time_budget_s,
            reuse_actors=True,
        ),
        run_config=tune.RunConfig(
            name=spec.name,
            storage_path=str(run_dir.parent),
            callbacks=callbacks,
            stop=TargetStopper(spec.metric, spec.objective_mode, spec.stop.target) if spec.stop.target is not None else None,
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
    run_dir = run_dir_of(spec)
    check_run_dir(run_dir, resume)
    if not address:
        check_fits(spec, local_capacity(num_cpus, num_gpus), "this machine")
    data = prepare_data(spec)
    run_dir.mkdir(parents=True, exist_ok=True)
    # A forced experiment snapshot per `checkpoint.keep` epochs is the point: no warning for it.
    os.environ.setdefault("TUNE_WARN_EXCESSIVE_EXPERIMENT_CHECKPOINT_SYNC_THRESHOLD_S", "0")
    with ray_session(address, num_cpus, num_gpus):
        if address:
            check_fits(spec, largest_cluster_node(), "the cluster")
        build_tuner(spec, data, run_dir, resume, verbose).fit()
        result = SweepResult(run_dir)
        if spec.final.enabled:
            run_final(spec, data, train_settings(spec), result)
    if result.best:
        history_panels(result, run_dir / "history.png")
    return result
