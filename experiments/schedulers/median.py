"""Median stopping: stop a trial whose best result is below the median of the others' at the same epoch."""

from __future__ import annotations

from typing import Any

from pydantic import Field, PositiveInt

from experiments.schedulers.contract import TIME_ATTR, Scheduler, SchedulerContext
from experiments.sections import SchedulerSpec


class Options(SchedulerSpec):
    grace_period: PositiveInt = Field(1, description="epochs before a trial can be stopped")
    min_samples_required: PositiveInt = Field(3, description="other trials needed to take a median")

    def smoke(self) -> SchedulerSpec:
        return self.model_copy(update={"grace_period": 1, "min_samples_required": 1})


class Median(Scheduler):
    Options = Options

    def checkpoint_epochs(self, context: SchedulerContext) -> frozenset[int]:
        """Every epoch from the grace period on: while fewer than ``min_samples_required`` other trials
        have reached a trial's epoch, Ray's rule pauses it there for a waiting trial, and resumes it later."""
        return frozenset(range(context.options.grace_period, context.max_epochs + 1))

    def build(self, context: SchedulerContext) -> Any:
        from experiments.schedulers.queue import QueuedMedianStopping

        return QueuedMedianStopping(
            time_attr=TIME_ATTR,
            grace_period=context.options.grace_period,
            min_samples_required=context.options.min_samples_required,
        )
