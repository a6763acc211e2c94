"""The hyperparameters a trial understands: names, types, allowed values, defaults.

A search space may set any of these; the rest keep their defaults. The same model
checks a space's bounds before Ray starts and turns each trial's config into typed
values, so integers reach the model as integers whichever searcher proposed them.
A user's model may read more: the space declares them, and they reach it untyped
(``model_extra``) through ``ModelHyperparameters``.
"""

from __future__ import annotations

from typing import Any, Iterator, Literal, Mapping

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core.errors import InputError, describe_validation_error


class Hyperparameters(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)  # a user's model's own names; spec.check_spec refuses them for ours

    hidden_units: int = Field(128, ge=1, description="units of the dense layer before the softmax")
    learning_rate: float = Field(1e-3, gt=0, description="initial learning rate")
    batch_size: int = Field(32, ge=1)
    optimizer: Literal["adam", "sgd", "rmsprop"] = "adam"
    momentum: float = Field(0.9, ge=0, lt=1, description="sgd and rmsprop momentum")
    l1: float = Field(0.0, ge=0, description="L1 penalty on every conv and dense kernel")
    l2: float = Field(0.0, ge=0, description="L2 penalty on every conv and dense kernel")
    dropout: float = Field(0.0, ge=0, lt=1, description="dropout before the output layer")
    augmentation: float = Field(
        0.0, ge=0, le=0.5, description="training-time shift and zoom (fraction of the image), rotation a third of it"
    )
    lr_schedule: Literal["constant", "step", "exponential", "cosine"] = "constant"
    lr_decay: float = Field(0.1, gt=0, le=1, description="step: factor per step; exponential: factor per epoch")
    lr_step_epochs: int = Field(2, ge=1, description="step: epochs between decays")
    lr_min: float = Field(0.0, ge=0, description="cosine: final learning rate")

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Hyperparameters:
        """Typed hyperparameters from a trial's config, or one line saying what is wrong."""
        try:
            return cls.model_validate(config)
        except ValidationError as error:
            raise InputError(describe_validation_error(error, prefix="", model=cls)) from None

    @classmethod
    def names(cls) -> list[str]:
        return list(cls.model_fields)

    @classmethod
    def is_integer(cls, name: str) -> bool:
        return cls.model_fields[name].annotation is int


# Hyperparameters that change the shape of the weights: a checkpoint cannot carry
# them over to another value, so PBT may not mutate them.
STRUCTURAL = frozenset({"hidden_units", "optimizer"})

# Hyperparameters read only under some values of another: name -> (that other, the values it is read under).
# A space searching both is conditional: under the other values the name changes nothing.
CONDITIONAL = {
    "momentum": ("optimizer", frozenset({"sgd", "rmsprop"})),
    "lr_decay": ("lr_schedule", frozenset({"step", "exponential"})),
    "lr_step_epochs": ("lr_schedule", frozenset({"step"})),
    "lr_min": ("lr_schedule", frozenset({"cosine"})),
}

# What the training loop itself reads; every other name is the model's.
TRAINING_LOOP = frozenset({"learning_rate", "batch_size", "optimizer", "momentum", "lr_schedule", "lr_decay", "lr_step_epochs", "lr_min"})


class UndeclaredHyperparameter(InputError, KeyError):
    """A model read a name the space does not declare; a KeyError too, so ``hp.get(name, default)`` works."""

    __str__ = InputError.__str__  # KeyError's would quote the sentence


class ModelHyperparameters(Mapping[str, Any]):
    """What a model's build function gets: the trial's hyperparameters, as ``hp["name"]`` or ``hp.name``.

    The trainable's own names always have a value (their defaults); any other must be declared in
    the space, and reading one that is not raises instead of inventing a value. ``read`` records
    the names the model asked for, so a declared name it never reads can be pointed out.
    """

    def __init__(self, hp: Hyperparameters, model: str = "the model"):
        self._values = hp.model_dump()
        self._model = model
        self.read: set[str] = set()

    def __getitem__(self, name: str) -> Any:
        if name not in self._values:
            raise UndeclaredHyperparameter(
                f"model: {self._model} reads hyperparameter '{name}', which the space does not declare; "
                f"add it to the space (space.{name}: VALUE or a domain such as {{choice: [...]}})"
            )
        self.read.add(name)
        return self._values[name]

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return self[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)
