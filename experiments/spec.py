"""The experiment spec: typed, validated data, checked whole before Ray starts.

Unknown keys are errors, not dropped: a misspelt ``schedular`` must not silently
run FIFO. Every error is one line that names the field and what it allows.
"""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path
from typing import Any, Mapping

from pydantic import BaseModel, Field, ValidationError, field_validator

from core.errors import InputError, UnknownName, describe_validation_error
from core.files import read_named_yaml, shipped_names
from core.metrics import metric_mode, objectives, running_best
from experiments.algorithms import ALGORITHMS, algorithm
from experiments.algorithms.contract import SearchContext
from experiments.auto import AutoChoice, resolve_auto
from experiments.front import check_objectives
from experiments.schedulers import SCHEDULERS, scheduler
from experiments.schedulers.contract import SchedulerContext
from experiments.overrides import apply_overrides
from experiments.sections import SMOKE_EPOCHS, SMOKE_IMAGES, SchedulerSpec, SearchSpec, Section
from experiments.settings import (
    CheckpointSpec,
    DatasetSpec,
    FailureSpec,
    FinalSpec,
    ResourcesSpec,
    StopSpec,
    TrackingSpec,
    TrainSpec,
)
from search_spaces import Numeric, Space, SpaceError, load_space, raw_space
from trainables.hyperparameters import Hyperparameters
from trainables.models import MODELS, is_reference

EXPERIMENTS_DIR = Path(__file__).parent
REFERENCE = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_<][\w.<>]*$")  # module:function (a notebook's may be <lambda>)


class Spec(Section):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    description: str = ""
    dataset: DatasetSpec = DatasetSpec()
    model: str = "seed-cnn"
    space: str | dict[str, Any]
    search: SearchSpec = SearchSpec()
    scheduler: SchedulerSpec = SchedulerSpec()
    train: TrainSpec = TrainSpec()
    # its direction follows from it (accuracy: max, loss and the measured costs: min): no mode key
    metric: str | tuple[str, str] = "val_accuracy"
    resources: ResourcesSpec = ResourcesSpec()
    stop: StopSpec = StopSpec()
    checkpoint: CheckpointSpec = CheckpointSpec()
    failure: FailureSpec = FailureSpec()
    final: FinalSpec = FinalSpec()
    tracking: TrackingSpec = TrackingSpec()
    storage: str = "~/cnn-tune-results"
    storage_shared: bool = Field(False, description="the storage folder is the same on every node (NFS)")
    auto: AutoChoice | None = Field(None, description="what search.algorithm or scheduler.name: auto chose (filled in)")

    @field_validator("model")
    @classmethod
    def _known_model(cls, model: str) -> str:
        """A shipped model, or a user's ``module:function``: imported only where the sweep runs
        (``check_model``), since a spec may be checked on a machine that does not have the module."""
        if is_reference(model):
            if not REFERENCE.match(model):
                raise ValueError(f"write a shipped model ({', '.join(MODELS.names())}) or module:function, got {model!r}")
            return model
        return MODELS.check(model)

    @field_validator("metric", mode="before")
    @classmethod
    def _objectives(cls, metric: object) -> object:
        """One reported name, or it and a measured cost to trade against (``core.metrics.objectives``)."""
        first, second = objectives(metric)
        return (first, second) if second else first

    @cached_property
    def search_space(self) -> Space:
        return load_space(self.space)

    @property
    def objective(self) -> str:
        """The metric the sweep selects on: the best trial, finalists, schedulers, reports."""
        return objectives(self.metric)[0]

    @property
    def second_objective(self) -> str | None:
        """The measured cost the sweep trades its metric against (``core.metrics.MEASURED``), if any."""
        return objectives(self.metric)[1]

    @property
    def objective_mode(self) -> str:
        return metric_mode(self.objective)

    def search_context(self) -> SearchContext:
        """Searchers learn each trial's best epoch so far, the number the sweep selects on (and the measured
        second objective, which a searcher of two objectives learns beside it)."""
        return SearchContext(self.search_space, self.search, running_best(self.objective), self.objective_mode,
                             self.second_objective)

    def scheduler_context(self) -> SchedulerContext:
        return SchedulerContext(self.scheduler, self.search_space, self.train.max_epochs, self.objective, self.objective_mode)

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


def _section(raw: Any, field: str, registry, key: str, default: str, choice: AutoChoice | None) -> BaseModel:
    """A search or scheduler section, validated by the options model of the module it names (or auto chose)."""
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise InputError(f"{field}: expected a mapping, got {raw!r}")
    name = raw.get(key, default)
    options = registry.load(str(name), field=f"{field}.{key}").Options
    try:
        return options.model_validate(dict(raw))
    except ValidationError as error:
        said = describe_validation_error(error, prefix=field, model=options)
        raise InputError(said + (choice.note(f"{field}.{key}") if choice else "")) from None


def _validated(data: dict[str, Any]) -> Spec:
    try:
        return Spec.model_validate(data)
    except ValidationError as error:
        raise InputError(describe_validation_error(error, prefix="", model=Spec)) from None


def parse_spec(raw: Any) -> Spec:
    """A checked ``Spec`` from plain data, or an ``InputError`` naming the first bad field."""
    if not isinstance(raw, Mapping):
        raise InputError(f"experiment: expected a mapping of settings, got {type(raw).__name__}")
    data, choice = resolve_auto(dict(raw), _validated)
    data["search"] = _section(data.get("search"), "search", ALGORITHMS, "algorithm", "random", choice)
    data["scheduler"] = _section(data.get("scheduler"), "scheduler", SCHEDULERS, "name", "fifo", choice)
    spec = _validated(data)
    check_spec(spec)
    return spec


def check_spec(spec: Spec) -> None:
    """What no single field can check: the space against the trainable and the algorithm."""
    space = spec.search_space
    valid = Hyperparameters.names()
    for name, domain in space.domains.items():
        if name not in valid:
            if is_reference(spec.model):
                continue  # the user's model's own: it alone knows what values it takes
            raise UnknownName("hyperparameter", name, valid, field=f"space.{name}")
        for value in domain.values():
            try:
                Hyperparameters.model_validate({name: value})
            except ValidationError as error:
                raise SpaceError(describe_validation_error(error, prefix="space")) from None
        if Hyperparameters.is_integer(name) and isinstance(domain, Numeric) and not domain.integer:
            raise SpaceError(f"space.{name}: takes whole numbers; use an integer kind (randint, qrandint, ...)")

    if spec.final.enabled and not spec.dataset.test:
        raise InputError(
            "final.enabled: the final step needs a test split the search never sees; "
            "set dataset.test to a fraction (0.1) or DATASET:SPLIT (mnist:test)"
        )

    algorithm(spec.search.algorithm).check_space(space)
    refusal = pair_refusal(spec.search.algorithm, spec.scheduler.name)
    if refusal:
        raise InputError(f"scheduler.name: {refusal}")
    scheduler(spec.scheduler.name).check(spec.scheduler_context())
    check_objectives(spec)


def pair_refusal(algorithm_name: str, scheduler_name: str) -> str | None:
    """Why this search algorithm cannot run with this scheduler, or None when they can."""
    searcher, chosen = algorithm(algorithm_name), scheduler(scheduler_name)
    if searcher.model_based and not chosen.accepts_model_based:
        return (f"{scheduler_name} chooses configurations itself and Ray runs it only with "
                f"grid or random search, not {algorithm_name}")
    if searcher.scheduler not in (None, scheduler_name) or chosen.algorithm not in (None, algorithm_name):
        pair = (algorithm_name, searcher.scheduler) if searcher.scheduler else (chosen.algorithm, scheduler_name)
        return f"search algorithm {pair[0]} and scheduler {pair[1]} run only together (got {algorithm_name} with {scheduler_name})"
    return None


def experiment_names() -> list[str]:
    return shipped_names(EXPERIMENTS_DIR)


def raw_experiment(reference: str) -> dict[str, Any]:
    """An experiment's YAML as data, by shipped name or by path."""
    path, data = read_named_yaml(reference, EXPERIMENTS_DIR, "experiment")
    if not isinstance(data, Mapping):
        raise InputError(f"experiment: {path} must be a mapping of settings")
    data = dict(data)
    data.setdefault("name", path.stem)
    return data


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

