"""A trial's training, free of Ray: build the trial's CNN, train it epoch by epoch, save and restore it.

``CnnTrial`` holds the training itself; ``trainables.trainable.train_cnn`` is the thin
Ray Tune function around it. With k folds, k models train in lockstep and each epoch
reports the mean of the folds, so schedulers act on every epoch.
"""

from __future__ import annotations

import dataclasses
import json
import math
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from core.metrics import REPORTED_METRICS
from trainables import backend
from trainables.data import PreparedData
from trainables.hyperparameters import Hyperparameters, ModelHyperparameters
from trainables.measure import LATENCY_IMAGES, latency_ms, parameter_count
from trainables.models import builder
from trainables.pipeline import Pipelines
from trainables.training import Divergence, EarlyStopping, RunningBest, learning_rate_at


@dataclass(frozen=True)
class TrainSettings:
    """Everything a trial needs beyond its hyperparameters; fixed for the whole sweep."""

    model: str | Callable = "seed-cnn"  # a shipped model's name, a user's module:function, or the function
    max_epochs: int = 10
    early_stopping: EarlyStopping | None = None
    checkpoint_epochs: frozenset[int] = frozenset()  # where the scheduler may pause or exploit the trial
    checkpoint_every: int | None = None
    checkpoint_interval_s: float | None = 60.0
    cpus: float = 1
    gpus: float = 0
    seed: int = 0
    divergence_factor: float = 10.0
    eval_batch_size: int = 1024
    measure_latency: bool = False  # a few timed batches per trial: only where the sweep trades against latency


def make_optimizer(hp: Hyperparameters):
    import keras

    if hp.optimizer == "sgd":
        return keras.optimizers.SGD(learning_rate=hp.learning_rate, momentum=hp.momentum)
    if hp.optimizer == "rmsprop":
        return keras.optimizers.RMSprop(learning_rate=hp.learning_rate, momentum=hp.momentum)
    return keras.optimizers.Adam(learning_rate=hp.learning_rate)


def build_model(
    hp: Hyperparameters, settings: TrainSettings, input_shape: tuple[int, ...], num_classes: int, steps: int | None = None
):
    """A compiled model for these hyperparameters (see ``trainables.models`` for why compiled here).
    ``steps``: the training steps it will take in all, if known; too few to pay for tracing, it runs eagerly."""
    model = builder(settings.model)(ModelHyperparameters(hp), input_shape, num_classes)
    model.compile(optimizer=make_optimizer(hp), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.run_eagerly = steps is not None and backend.runs_eagerly(steps, settings.gpus)
    return model


def training_steps(images: int, batch_size: int, epochs: int) -> int:
    return epochs * math.ceil(images / batch_size)


class Fold:
    """One model with its own training and validation input (see ``trainables.pipeline``)."""

    def __init__(self, model, train: dict[str, Any], val: dict[str, Any]):
        self.model, self.train, self.val = model, train, val

    def train_epoch(self, learning_rate: float) -> dict[str, float]:
        import keras

        self.model.optimizer.learning_rate = learning_rate
        history = self.model.fit(**self.train, verbose=0, callbacks=[keras.callbacks.TerminateOnNaN()])
        return {name: float(history.history[name][-1]) for name in ("loss", "accuracy")}

    def run_epoch(self, learning_rate: float) -> dict[str, float]:
        trained = self.train_epoch(learning_rate)
        scores = self.evaluate()
        return {**trained, "val_loss": scores["loss"], "val_accuracy": scores["accuracy"]}

    def evaluate(self) -> dict[str, float]:
        scores = self.model.evaluate(**self.val, verbose=0, return_dict=True)
        return {name: float(value) for name, value in scores.items()}

    def penalty(self) -> float:
        """The L1/L2 penalty on the current weights, which Keras adds to every loss it reports."""
        import keras

        return float(sum(keras.ops.convert_to_numpy(loss) for loss in self.model.losses))

    def arrays(self) -> dict[str, np.ndarray]:
        import keras

        arrays = {f"weights_{i}": w for i, w in enumerate(self.model.get_weights())}
        for i, variable in enumerate(self.model.optimizer.variables):
            arrays[f"optimizer_{i}"] = keras.ops.convert_to_numpy(variable)
        return arrays

    def load_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        def numbered(prefix: str) -> list[np.ndarray]:
            keys = sorted((k for k in arrays if k.startswith(prefix)), key=lambda k: int(k.rsplit("_", 1)[1]))
            return [arrays[k] for k in keys]

        self.model.set_weights(numbered("weights_"))
        optimizer = self.model.optimizer
        optimizer.build(self.model.trainable_variables)
        saved = numbered("optimizer_")
        if len(saved) != len(optimizer.variables):
            raise ValueError(
                f"checkpoint holds {len(saved)} optimizer variables, this model's optimizer has "
                f"{len(optimizer.variables)}: was it written for another architecture or optimizer?"
            )
        for variable, value in zip(optimizer.variables, saved):
            variable.assign(value)


class CnnTrial:
    """A trial's training state: its folds, epoch count, early stopping, divergence and running best."""

    def __init__(self, hp: Hyperparameters, data: PreparedData, settings: TrainSettings):
        import keras

        # A reused actor starts every trial from a clean slate (names, seeds), without the full
        # garbage collection clear_session runs by default (about 0.4 s a trial in an exploratory
        # measurement); refcounting and Python's own collector free the last trial's model.
        keras.backend.clear_session(free_memory=False)
        keras.utils.set_random_seed(settings.seed)
        self.hp, self.settings = hp, settings
        pool = Pipelines(data.pool, settings.cpus, settings.seed)
        self.folds = [
            Fold(
                build_model(
                    hp, settings, data.input_shape, data.num_classes,
                    training_steps(len(train_index), hp.batch_size, settings.max_epochs),
                ),
                pool.training(train_index, hp.batch_size),
                pool.evaluation(val_index, settings.eval_batch_size),
            )
            for train_index, val_index in data.folds
        ]
        self.epoch = 0
        self.early_stopping = dataclasses.replace(settings.early_stopping) if settings.early_stopping else None
        self.divergence = Divergence(
            data.num_classes, settings.divergence_factor, penalty=max(fold.penalty() for fold in self.folds)
        )
        self.running_best = RunningBest()
        self.diverged = False
        self.early_stopped = False
        self.measured = self.measure(data)

    def measure(self, data: PreparedData) -> dict[str, float]:
        """The model's ``MEASURED`` costs, reported with every epoch: the folds' models are alike, so the first's."""
        model = self.folds[0].model
        measured: dict[str, float] = {"params": parameter_count(model)}
        if self.settings.measure_latency:
            measured["latency_ms"] = latency_ms(model, data.pool.take(data.folds[0][1][:LATENCY_IMAGES]).x)
        return measured

    @property
    def finished(self) -> bool:
        return self.diverged or self.early_stopped or self.epoch >= self.settings.max_epochs

    def run_epoch(self) -> dict[str, Any]:
        """Train every fold one epoch and return what the trial reports for it."""
        learning_rate = learning_rate_at(self.hp, self.epoch, self.settings.max_epochs)
        per_fold = [fold.run_epoch(learning_rate) for fold in self.folds]
        self.epoch += 1
        metrics: dict[str, Any] = {name: float(np.mean([m[name] for m in per_fold])) for name in REPORTED_METRICS}
        if len(per_fold) > 1:
            metrics.update({f"{name}_std": float(np.std([m[name] for m in per_fold])) for name in REPORTED_METRICS})
        self.diverged = self.divergence.diverged(metrics)
        if self.diverged:
            metrics.update(self.divergence.report())
        elif self.early_stopping:
            self.early_stopped = self.early_stopping.update(self.epoch, metrics)
        metrics.update(self.running_best.update(metrics, diverged=self.diverged))
        metrics.update(epoch=self.epoch, lr=learning_rate, diverged=self.diverged, early_stopped=self.early_stopped)
        return {**metrics, **self.measured}

    def save(self, directory: str | Path, owner: str = "") -> None:
        """Write the checkpoint; ``owner``: the trial writing it (PBT may hand it to another)."""
        directory = Path(directory)
        for i, fold in enumerate(self.folds):
            np.savez(directory / f"fold_{i}.npz", **fold.arrays())
        state = {
            "owner": owner,
            "epoch": self.epoch,
            "early_stopping": self.early_stopping.state() if self.early_stopping else None,
            "divergence": self.divergence.state(),
            "running_best": self.running_best.state(),
        }
        (directory / "trial.json").write_text(json.dumps(state))

    def restore(self, directory: str | Path) -> str:
        """Load a checkpoint; returns the trial that wrote it."""
        directory = Path(directory)
        state = json.loads((directory / "trial.json").read_text())
        for i, fold in enumerate(self.folds):
            with np.load(directory / f"fold_{i}.npz") as arrays:
                fold.load_arrays(dict(arrays))
        self.epoch = state["epoch"]
        if self.early_stopping and state["early_stopping"]:
            self.early_stopping = EarlyStopping(**state["early_stopping"])
        self.divergence = dataclasses.replace(self.divergence, baseline=state["divergence"]["baseline"])
        self.running_best = RunningBest(**state.get("running_best", {}))  # absent from checkpoints of older versions
        return state.get("owner", "")


def fit_final(config: dict[str, Any], data: PreparedData, settings: TrainSettings, epochs: int) -> dict[str, Any]:
    """Retrain ``config`` on everything the search saw for ``epochs``, then score it once on the
    test split the search never saw. Returns the scores, the per-epoch training history and the
    saved model (``.keras`` bytes, so the driver can store it wherever the run lives)."""
    backend.configure(settings.cpus, settings.gpus)
    backend.devices(settings.gpus)  # the warning, if a GPU was asked for and is missing
    import keras

    hp = Hyperparameters.from_config(config)
    keras.utils.set_random_seed(settings.seed)
    train = Pipelines(data.pool, settings.cpus, settings.seed).training(np.arange(len(data.pool.y)), hp.batch_size)
    test = Pipelines(data.test, settings.cpus, settings.seed).evaluation(np.arange(len(data.test.y)), settings.eval_batch_size)
    steps = training_steps(len(data.pool.y), hp.batch_size, epochs)
    fold = Fold(build_model(hp, settings, data.input_shape, data.num_classes, steps), train, test)
    history = [fold.train_epoch(learning_rate_at(hp, epoch, settings.max_epochs)) for epoch in range(epochs)]
    scores = fold.evaluate()
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "best_model.keras"
        fold.model.save(path)
        model = path.read_bytes()
    return {"test_loss": scores["loss"], "test_accuracy": scores["accuracy"], "history": history, "model": model}
