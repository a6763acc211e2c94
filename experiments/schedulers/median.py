"""Median stopping: stop a trial whose best result is below the median of the others' at the same epoch."""

from __future__ import annotations

from pydantic import Field, PositiveInt

from experiments.schedulers import TIME_ATTR
from experiments.sections import SchedulerSpec

ACCEPTS_MODEL_BASED = True


class Options(SchedulerSpec):
    grace_period: PositiveInt = Field(1, description="epochs before a trial can be stopped")
    min_samples_required: PositiveInt = Field(3, description="other trials needed to take a median")

    def smoke(self) -> SchedulerSpec:
        return self.model_copy(update={"grace_period": 1, "min_samples_required": 1})


def check(spec) -> None:
    pass


def build(spec):
    from ray.tune.schedulers import MedianStoppingRule

    options = spec.scheduler
    return MedianStoppingRule(
        time_attr=TIME_ATTR,
        grace_period=options.grace_period,
        min_samples_required=options.min_samples_required,
    )
