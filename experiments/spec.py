"""The experiment spec: typed, validated data, checked whole before Ray starts.

Unknown keys are errors, not dropped: a misspelt ``schedular`` must not silently
run FIFO. Every error is one line that names the field and what it allows.
"""

from __future__ import annotations

import copy
import importlib.util
from functools import cached_property
from pathlib import Path
from typing import Any, Literal, Mapping

import yaml
from pydantic import BaseModel, Field, NonNegativeFloat, NonNegativeInt, PositiveFloat, PositiveInt
from pydantic import ValidationError, field_validator

from experiments.algorithms import ALGORITHMS
from experiments.schedulers import SCHEDULERS
from experiments.sections import SMOKE_EPOCHS, SMOKE_IMAGES, SchedulerSpec, SearchSpec, Section
from search_spaces import Numeric, Space, SpaceError, load_space, raw_space, read_yaml
from trainables.datasets import DATASETS
from trainables.hyperparameters import Hyperparameters, describe_validation_error
from trainables.models import MODELS
from trainables.registry import InputError, UnknownName
from trainables.training import REPORTED_METRICS, metric_mode

EXPERIMENTS_DIR = Path(__file__).parent


class DatasetSpec(Section):
    name: str = "mnist-5k"
    validation: float = Field(0.2, gt=0, lt=1, description="holdout fraction (ignored when folds > 1)")
    test: float | str = Field(0.0, description="fraction held out from the search, or DATASET:SPLIT")
    folds: int = Field(1, ge=1, le=20, description="k-fold cross-validation when > 1")
    seed: int = 0
    limit: PositiveInt | None = Field(None, description="use only this many images, stratified")
    path: str | None = Field(None, description="local folder of the dataset's files (mnist)")

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


class EarlyStoppingSpec(Section):
    monitor: str = "val_loss"
    patience: PositiveInt = 5
    min_delta: NonNegativeFloat = 0.0
    restore_best_weights: bool = True

    @field_validator("monitor")
    @classmethod
    def _reported(cls, monitor: str) -> str:
        if monitor not in REPORTED_METRICS:
            raise UnknownName("metric", monitor, list(REPORTED_METRICS))
        return monitor


class TrainSpec(Section):
    max_epochs: PositiveInt = 10
    early_stopping: EarlyStoppingSpec | None = None
    divergence_factor: float = Field(10.0, gt=1, description="diverged once a loss exceeds this × the untrained loss")
    seed: int = 0


class ResourcesSpec(Section):
    cpu: PositiveFloat = 1
    gpu: NonNegativeFloat = 0

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
    every: PositiveInt = Field(1, description="epochs between checkpoints")
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


class FinalSpec(Section):
    """After the search: retrain the best configuration on train + validation, score it once on the test split."""

    enabled: bool = False
    epochs: PositiveInt | None = Field(None, description="retraining epochs (default: the best trial's best epoch)")


class Spec(Section):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    description: str = ""
    dataset: DatasetSpec = DatasetSpec()
    model: str = "seed-cnn"
    space: str | dict[str, Any]
    search: SearchSpec = SearchSpec()
    scheduler: SchedulerSpec = SchedulerSpec()
    train: TrainSpec = TrainSpec()
    metric: str = "val_accuracy"
    mode: Literal["min", "max"] | None = None
    resources: ResourcesSpec = ResourcesSpec()
    stop: StopSpec = StopSpec()
    checkpoint: CheckpointSpec = CheckpointSpec()
    failure: FailureSpec = FailureSpec()
    final: FinalSpec = FinalSpec()
    tracking: TrackingSpec = TrackingSpec()
    storage: str = "~/cnn-tune-results"
    storage_shared: bool = Field(False, description="the storage folder is the same on every node (NFS)")

    @field_validator("model")
    @classmethod
    def _known_model(cls, model: str) -> str:
        return MODELS.check(model)

    @field_validator("metric")
    @classmethod
    def _reported(cls, metric: str) -> str:
        if metric not in REPORTED_METRICS:
            raise UnknownName("metric", metric, list(REPORTED_METRICS))
        return metric

    @cached_property
    def search_space(self) -> Space:
        return load_space(self.space)

    @property
    def objective_mode(self) -> str:
        return self.mode or metric_mode(self.metric)

    def as_data(self) -> dict[str, Any]:
        """The spec as plain data, with every default filled in (for summaries and manifests)."""
        return self.model_dump(mode="json", serialize_as_any=True)

    def smoke(self) -> Spec:
        """The same code path in seconds: few images, epochs, samples and folds, grids cut to two points."""
        raw = raw_space(self.space)[1]
        grids = self.search_space.grid_names()
        space = {  # the first grid keeps two values, the others one: two grid points in all
            name: {"grid": list(domain.options[: 2 if name == grids[0] else 1])} if name in grids else raw[name]
            for name, domain in self.search_space.domains.items()
        }
        update = {
            "name": f"{self.name}-smoke",
            "space": space,
            "dataset": self.dataset.model_copy(
                update={"limit": min(self.dataset.limit or SMOKE_IMAGES, SMOKE_IMAGES), "folds": min(self.dataset.folds, 2)}
            ),
            "search": self.search.smoke(),
            "scheduler": self.scheduler.smoke(),
            "train": self.train.model_copy(update={"max_epochs": min(self.train.max_epochs, SMOKE_EPOCHS)}),
            "stop": self.stop.model_copy(update={"time_budget_s": None, "epochs_budget": None}),
        }
        return parse_spec({**self.as_data(), **{k: _dump(v) for k, v in update.items()}})


def _dump(value: Any) -> Any:
    return value.model_dump(mode="json", serialize_as_any=True) if isinstance(value, BaseModel) else value


def _section(raw: Any, field: str, registry, key: str, default: str) -> BaseModel:
    """A search or scheduler section, validated by the options model of the module it names."""
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise InputError(f"{field}: expected a mapping, got {raw!r}")
    name = raw.get(key, default)
    options = registry.load(str(name), field=f"{field}.{key}").Options
    try:
        return options.model_validate(dict(raw))
    except ValidationError as error:
        raise InputError(describe_validation_error(error, prefix=field, model=options)) from None


def parse_spec(raw: Any) -> Spec:
    """A checked ``Spec`` from plain data, or an ``InputError`` naming the first bad field."""
    if not isinstance(raw, Mapping):
        raise InputError(f"experiment: expected a mapping of settings, got {type(raw).__name__}")
    data = dict(raw)
    data["search"] = _section(data.get("search"), "search", ALGORITHMS, "algorithm", "random")
    data["scheduler"] = _section(data.get("scheduler"), "scheduler", SCHEDULERS, "name", "fifo")
    try:
        spec = Spec.model_validate(data)
    except ValidationError as error:
        raise InputError(describe_validation_error(error, prefix="", model=Spec)) from None
    check_spec(spec)
    return spec


def check_spec(spec: Spec) -> None:
    """What no single field can check: the space against the trainable and the algorithm."""
    space = spec.search_space
    valid = Hyperparameters.names()
    for name, domain in space.domains.items():
        if name not in valid:
            raise UnknownName("hyperparameter", name, valid, field=f"space.{name}")
        for value in domain.values():
            try:
                Hyperparameters.model_validate({name: value})
            except ValidationError as error:
                raise SpaceError(describe_validation_error(error, prefix="space")) from None
        if Hyperparameters.is_integer(name) and isinstance(domain, Numeric) and not domain.integer:
            raise SpaceError(f"space.{name}: takes whole numbers; use an integer kind (randint, qrandint, ...)")

    if spec.mode and spec.mode != metric_mode(spec.metric):
        raise InputError(f"mode: {spec.metric} is {'maximised' if metric_mode(spec.metric) == 'max' else 'minimised'}; use mode: {metric_mode(spec.metric)} or leave mode out")

    if spec.final.enabled and not spec.dataset.test:
        raise InputError(
            "final.enabled: the final step needs a test split the search never sees; "
            "set dataset.test to a fraction (0.1) or DATASET:SPLIT (mnist:test)"
        )

    algorithm = ALGORITHMS.load(spec.search.algorithm)
    algorithm.check_space(space)
    scheduler = SCHEDULERS.load(spec.scheduler.name)
    if algorithm.MODEL_BASED and not scheduler.ACCEPTS_MODEL_BASED:
        raise InputError(
            f"scheduler.name: {spec.scheduler.name} chooses configurations itself and Ray runs it only with "
            f"grid or random search, not {spec.search.algorithm}"
        )
    scheduler.check(spec)


def experiment_names() -> list[str]:
    return sorted(p.stem for p in EXPERIMENTS_DIR.glob("*.yaml"))


def raw_experiment(reference: str) -> dict[str, Any]:
    """An experiment's YAML as data, by shipped name or by path."""
    path = Path(reference).expanduser()
    if not (reference.endswith((".yaml", ".yml")) or path.is_file()):
        if reference not in experiment_names():
            raise UnknownName("experiment", reference, experiment_names())
        path = EXPERIMENTS_DIR / f"{reference}.yaml"
    if not path.is_file():
        raise InputError(f"experiment: no such file '{path}'")
    data = read_yaml(path, "experiment")
    if not isinstance(data, Mapping):
        raise InputError(f"experiment: {path} must be a mapping of settings")
    data = dict(data)
    data.setdefault("name", path.stem)
    return data


# Setting these switches to another module: its options start from their defaults, and the
# previous module's options (say ASHA's grace_period when switching to fifo) are dropped.
SWITCHES = {("scheduler", "name"): set(SchedulerSpec.model_fields), ("search", "algorithm"): set(SearchSpec.model_fields)}


def apply_overrides(data: dict[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """``{"search.num_samples": 4}`` set into nested data; a named space is opened to be edited."""
    data = copy.deepcopy(data)
    for dotted, value in overrides.items():
        keys = dotted.split(".")
        common = SWITCHES.get(tuple(keys))
        section = data.get(keys[0])
        if common is not None and isinstance(section, dict) and section.get(keys[1]) != value:
            data[keys[0]] = {k: v for k, v in section.items() if k in common}
        if keys[0] == "space" and len(keys) > 1 and isinstance(data.get("space"), str):
            data["space"] = raw_space(data["space"])[1]
        node = data
        for key in keys[:-1]:
            child = node.get(key)
            if child is None:
                child = node[key] = {}
            if not isinstance(child, dict):
                raise InputError(f"--set {dotted}: '{key}' is {child!r}, not a section")
            node = child
        node[keys[-1]] = value
    return data


def parse_assignment(text: str) -> tuple[str, Any]:
    """``key.path=value`` from the command line; the value is read as YAML (numbers, lists, maps)."""
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise InputError(f"--set: expected KEY=VALUE, got {text!r}")
    try:
        return key.strip(), yaml.safe_load(value)
    except yaml.YAMLError:
        raise InputError(f"--set {key}: cannot read {value!r} as a value") from None


def load_spec(reference: str | Mapping[str, Any] | Spec, overrides: Mapping[str, Any] | None = None) -> Spec:
    """A spec by name, path, mapping or Spec, with dotted-key overrides applied."""
    if isinstance(reference, Spec):
        data = reference.as_data()
    elif isinstance(reference, Mapping):
        data = dict(reference)
    else:
        data = raw_experiment(reference)
    return parse_spec(apply_overrides(data, overrides or {}))


def describe(name: str) -> str:
    return raw_experiment(name).get("description", "")

