"""The hyperparameters a trial understands: names, types, allowed values, defaults.

A search space may set any of these; the rest keep their defaults. The same model
checks a space's bounds before Ray starts and turns each trial's config into typed
values, so integers reach the model as integers whichever searcher proposed them.
"""

from __future__ import annotations

import difflib
import typing
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from trainables.registry import InputError


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


def describe_validation_error(error: ValidationError, prefix: str, model: type[BaseModel] | None = None) -> str:
    """The first pydantic error as one line, ``field.path: message``, with a spelling hint."""
    first = error.errors()[0]
    location = ".".join(str(part) for part in (prefix, *first["loc"]) if part != "")
    message = first["msg"]
    if first["type"] == "extra_forbidden":
        valid = _keys_at(model, first["loc"][:-1]) if model else []
        close = difflib.get_close_matches(str(first["loc"][-1]), valid, n=1)
        message = "unknown key" + (f" (did you mean '{close[0]}'?)" if close else "")
        if valid:
            message += f"; valid: {', '.join(valid)}"
    elif first["type"] == "value_error":
        message = str(first["ctx"]["error"])
    elif "input" in first and first["type"] != "missing" and "got" not in message:
        message = f"{message}, got {first['input']!r}"
    return f"{location}: {message}"


def _keys_at(model: type[BaseModel], path: tuple) -> list[str]:
    """The field names of the (nested) model that ``path`` leads to."""
    for part in path:
        field = model.model_fields.get(str(part))
        candidates = [field.annotation, *typing.get_args(field.annotation)] if field else []
        model = next((c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None)
        if model is None:
            return []
    return list(model.model_fields)
