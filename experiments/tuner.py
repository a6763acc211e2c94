"""Building the Tuner from a validated spec: the trainable, the searcher, the scheduler, the callbacks."""

from __future__ import annotations

from typing import Any, Callable

from ray import tune

from experiments.actor_reuse import keep_starting_actors
from experiments.algorithms import algorithm
from experiments.callbacks import RecordCallback, SweepStopper
from experiments.progress import ProgressCallback
from experiments.record.writer import SweepRecord
from experiments.results import ended_trials
from experiments.schedulers import scheduler as scheduler_named
from experiments.spec import Spec
from experiments.storage import RunLocation
from experiments.tensorboard import TensorBoardFiles
from experiments.trial_state import LeanTrialState
from trainables.cnn import TrainSettings
from trainables.trainable import train_cnn
from trainables.data import Images, PreparedData, prepare
from trainables.training import EarlyStopping


def prepare_data(spec: Spec, splits: dict[str, Images] | None = None) -> PreparedData:
    """The spec's data, split; ``splits`` (in-memory arrays, ``datasets.arrays.from_arrays``) stand for ``dataset.name``."""
    dataset = spec.dataset
    return prepare(
        dataset.name,
        validation=dataset.validation,
        test=dataset.test,
        folds=dataset.folds,
        seed=dataset.seed,
        limit=dataset.limit,
        path=dataset.path,
        image_size=dataset.image_size,
        splits=splits,
    )


def train_settings(spec: Spec, model: str | Callable | None = None) -> TrainSettings:
    """``model``: what ``experiments.user_model.resolve_model`` made of ``spec.model``, when a user's."""
    rule = spec.train.early_stopping
    return TrainSettings(
        model=model or spec.model,
        max_epochs=spec.train.max_epochs,
        early_stopping=EarlyStopping(**rule.model_dump()) if rule else None,
        checkpoint_epochs=scheduler_named(spec.scheduler.name).checkpoint_epochs(spec.scheduler_context()),
        checkpoint_every=spec.checkpoint.every,
        checkpoint_interval_s=spec.checkpoint.interval_s,
        cpus=spec.resources.cpu,
        gpus=spec.resources.gpu,
        seed=spec.train.seed,
        divergence_factor=spec.train.divergence_factor,
        measure_latency=spec.second_objective == "latency_ms",
    )


def build_tuner(
    spec: Spec, data: PreparedData, location: RunLocation, resume: bool, verbose: int, trainable: Any = None,
    model: str | Callable | None = None,
) -> tune.Tuner:
    """The Tuner for ``spec``. ``trainable`` replaces the CNN only to measure the controller itself
    (benchmarks/scale.py): everything else is what a real sweep runs."""
    keep_starting_actors()
    ended = ended_trials(location.local) if resume else frozenset()
    trainable = tune.with_resources(
        trainable or tune.with_parameters(train_cnn, data=data, settings=train_settings(spec, model), ended=ended),
        {"cpu": spec.resources.cpu, "gpu": spec.resources.gpu},
    )
    if resume:
        return tune.Tuner.restore(location.uri, trainable=trainable, resume_unfinished=True, resume_errored=False)

    searcher = algorithm(spec.search.algorithm)
    search_alg, param_space = searcher.build(spec.search_context())
    record = SweepRecord(location, spec.as_data(), list(spec.search_space.domains))
    chosen = scheduler_named(spec.scheduler.name)
    scheduler = chosen.build(spec.scheduler_context())
    # One metric for Tune to hand the searcher and the scheduler: the running best, unless the
    # scheduler was built with its own (then the searcher is grid or random, which read none). A searcher
    # of two objectives keeps the pair it was built with.
    learned = None if chosen.reads_last_value else spec.search_context().metric
    callbacks = [RecordCallback(record, scheduler, learned or spec.objective, search_alg), LeanTrialState(), TensorBoardFiles()]
    if verbose == 1:
        callbacks.append(ProgressCallback(record))
    if spec.tracking.mlflow_uri:
        from ray.air.integrations.mlflow import MLflowLoggerCallback

        callbacks.append(MLflowLoggerCallback(spec.tracking.mlflow_uri, experiment_name=spec.tracking.mlflow_experiment or spec.name))
    return tune.Tuner(
        trainable,
        param_space=param_space,
        tune_config=tune.TuneConfig(
            metric=learned,
            mode=spec.objective_mode if learned else None,
            search_alg=search_alg,
            scheduler=scheduler,
            num_samples=spec.search.num_samples,
            max_concurrent_trials=searcher.max_concurrent_trials(spec.search),
            reuse_actors=True,
        ),
        run_config=tune.RunConfig(
            name=location.name,
            storage_path=location.storage_path,
            callbacks=callbacks,
            stop=SweepStopper(record, spec.stop.target),
            failure_config=tune.FailureConfig(max_failures=spec.failure.max_failures),
            checkpoint_config=tune.CheckpointConfig(num_to_keep=None if chosen.keeps_every_checkpoint else spec.checkpoint.keep),
            verbose=max(0, verbose - 1),
        ),
    )
