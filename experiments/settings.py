"""The spec's plain sections: data, training, resources, stop rules, checkpoints, tracking, final step.

Each is a frozen pydantic model that refuses unknown keys; the search and scheduler
sections, which extension modules extend, are in ``sections``.
"""

from __future__ import annotations

import importlib.util
from typing import Literal

from pydantic import Field, NonNegativeFloat, NonNegativeInt, PositiveFloat, PositiveInt, field_validator, model_validator

from core.metrics import reported
from experiments.sections import Section
from trainables.datasets import DATASETS


class DatasetSpec(Section):
    name: str = "mnist-5k"
    validation: float = Field(0.2, gt=0, lt=1, description="holdout fraction (ignored when folds > 1)")
    test: float | str = Field(0.0, description="fraction held out from the search, or DATASET:SPLIT")
    folds: int = Field(1, ge=1, le=20, description="k-fold cross-validation when > 1")
    seed: int = 0
    limit: PositiveInt | None = Field(None, description="use only this many images, stratified")
    path: str | None = Field(None, description="the dataset's local file or folder (mnist, folder, npz, idx)")
    image_size: tuple[PositiveInt, PositiveInt] | None = Field(None, description="resize every image to [H, W]")

    @field_validator("name")
    @classmethod
    def _known(cls, name: str) -> str:
        return DATASETS.check(name)

    @field_validator("test")
    @classmethod
    def _test(cls, test: float | str) -> float | str:
        if isinstance(test, str):
            dataset, _, split = test.partition(":")
            if not split:
                raise ValueError(f"write a fraction or DATASET:SPLIT (for example mnist:test), got {test!r}")
            DATASETS.check(dataset)
        elif not 0 <= test < 1:
            raise ValueError(f"a fraction must be in [0, 1), got {test}")
        return test

    @field_validator("image_size", mode="before")
    @classmethod
    def _height_width(cls, size: object) -> object:
        """One message for every wrong shape, not pydantic's per tuple item."""
        if size is None or (
            isinstance(size, (list, tuple)) and len(size) == 2
            and all(isinstance(value, int) and not isinstance(value, bool) and value > 0 for value in size)
        ):
            return size
        raise ValueError(f"write [H, W], two whole numbers above 0 (for example [32, 32]), got {size!r}")


class EarlyStoppingSpec(Section):
    monitor: str = "val_loss"
    patience: PositiveInt = 5
    min_delta: NonNegativeFloat = 0.0

    @field_validator("monitor")
    @classmethod
    def _reported(cls, monitor: str) -> str:
        return reported(monitor)


class TrainSpec(Section):
    max_epochs: PositiveInt = 10
    early_stopping: EarlyStoppingSpec | None = None
    divergence_factor: float = Field(10.0, gt=1, description="diverged once a loss exceeds this × the untrained loss")
    seed: int = 0


class ResourcesSpec(Section):
    cpu: float | Literal["auto"] = Field("auto", description="CPUs per trial; auto: the cores shared among the trials that run at once")
    gpu: NonNegativeFloat = 0

    @field_validator("cpu", mode="before")
    @classmethod
    def _auto_or_positive(cls, cpu: object) -> object:
        """One message that says both what is allowed, not pydantic's one per member of the union."""
        if cpu == "auto":
            return cpu
        try:
            if not isinstance(cpu, bool) and float(cpu) > 0:  # YAML `true` is no count
                return float(cpu)
        except (TypeError, ValueError):
            pass
        raise ValueError(f"write auto or a number of CPUs per trial above 0 (0.5 allowed), got {cpu!r}")

    @field_validator("gpu")
    @classmethod
    def _whole_above_one(cls, gpu: float) -> float:
        if gpu > 1 and not float(gpu).is_integer():
            raise ValueError(f"above 1, GPUs per trial must be whole, got {gpu}")
        return gpu


class StopSpec(Section):
    time_budget_s: PositiveFloat | None = Field(None, description="stop the whole sweep after this many seconds")
    target: float | None = Field(None, description="stop a trial once the metric reaches this value")
    epochs_budget: PositiveInt | None = Field(None, description="stop the whole sweep after this many epochs, all trials together")


class CheckpointSpec(Section):
    """When a trial checkpoints besides where its scheduler may pause or exploit it: only to bound
    what a failure or a killed driver costs (nothing reads a checkpoint but Tune itself)."""

    interval_s: NonNegativeFloat | None = Field(60, description="checkpoint once this many seconds of training have passed since the last (null: never)")
    every: PositiveInt | None = Field(None, description="also checkpoint every this many epochs")
    keep: PositiveInt = Field(2, description="checkpoints kept per trial")


class FailureSpec(Section):
    max_failures: NonNegativeInt = Field(2, description="retries of a trial that raises, from its checkpoint")


class TrackingSpec(Section):
    """Where else trials are logged. TensorBoard files are always written in each trial's folder."""

    mlflow_uri: str | None = Field(None, description="log each trial as an MLflow run here (pip install 'cnn-tune[mlflow]')")
    mlflow_experiment: str | None = Field(None, description="MLflow experiment (default: the run's name)")

    @field_validator("mlflow_uri")
    @classmethod
    def _installed(cls, uri: str | None) -> str | None:
        if uri is not None and importlib.util.find_spec("mlflow") is None:
            raise ValueError("MLflow is not installed; pip install 'cnn-tune[mlflow]' (or leave tracking.mlflow_uri out)")
        return uri


class FrontSpec(Section):
    """Which point of a two-objective sweep's Pareto front the final step takes: the best metric within one
    limit on the measured cost (``experiments.front``)."""

    max_params: PositiveInt | None = Field(None, description="at most this many model parameters")
    max_latency_ms: PositiveFloat | None = Field(None, description="at most this many inference milliseconds per image")

    @model_validator(mode="after")
    def _one_limit(self) -> FrontSpec:
        given = [name for name, value in self if value is not None]
        if len(given) != 1:
            raise ValueError(f"write one limit, {' or '.join(type(self).model_fields)}, got {', '.join(given) or 'none'}")
        return self

    @property
    def limit(self) -> tuple[str, float]:
        """(the measured cost, the most it may be)."""
        name, most = next((name, value) for name, value in self if value is not None)
        return name.removeprefix("max_"), most


class FinalSpec(Section):
    """After the search: re-validate the top configurations under other seeds (``finalists``), then
    retrain the chosen one on train + validation and score it once on the test split (``enabled``)."""

    enabled: bool = False
    epochs: PositiveInt | None = Field(None, description="retraining epochs (default: the best trial's best epoch)")
    finalists: PositiveInt | None = Field(None, description="re-validate this many top configurations and pick by their mean")
    seeds: PositiveInt = Field(3, description="re-validation runs per finalist, each with another training seed (and partition)")
    front: FrontSpec | None = Field(None, description="a limit on the second objective: the front's best point within it")
