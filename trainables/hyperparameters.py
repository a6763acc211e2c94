"""The hyperparameters a trial understands: names, types, allowed values, defaults.

A search space may set any of these; the rest keep their defaults. The same model
checks a space's bounds before Ray starts and turns each trial's config into typed
values, so integers reach the model as integers whichever searcher proposed them.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core.errors import InputError, describe_validation_error


class Hyperparameters(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

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
