"""Asynchronous successive halving: stops the worst trials at each rung, never waits.

Ray does not save a scheduler with the experiment, so a resumed sweep would start
with empty rungs; ours rebuilds them from the sweep's history before it goes on.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, PositiveInt

from core.errors import InputError
from experiments.schedulers.contract import TIME_ATTR, Scheduler, SchedulerContext
from experiments.sections import SchedulerSpec


class Options(SchedulerSpec):
    grace_period: PositiveInt = Field(1, description="epochs every trial gets before it can be stopped")
    reduction_factor: float = Field(3, gt=1, description="keep the top 1/reduction_factor at each rung")
    brackets: PositiveInt = 1

    def smoke(self) -> SchedulerSpec:
        return self.model_copy(update={"grace_period": 1, "reduction_factor": 2})


class Asha(Scheduler):
    Options = Options

    def check(self, context: SchedulerContext) -> None:
        if context.options.grace_period > context.max_epochs:
            raise InputError(
                f"scheduler.grace_period: {context.options.grace_period} is beyond train.max_epochs "
                f"({context.max_epochs}); no trial could ever be stopped"
            )

    def build(self, context: SchedulerContext) -> Any:
        from experiments.schedulers.replay import ReplayableASHA

        options = context.options
        return ReplayableASHA(
            time_attr=TIME_ATTR,
            max_t=context.max_epochs,
            grace_period=options.grace_period,
            reduction_factor=options.reduction_factor,
            brackets=options.brackets,
        )
