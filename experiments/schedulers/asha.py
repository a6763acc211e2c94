"""Asynchronous successive halving: stops the worst trials at each rung, never waits.

Ray does not save a scheduler with the experiment, so a resumed sweep would start
with empty rungs; ours rebuilds them from the sweep's history before it goes on.
"""

from __future__ import annotations

from pydantic import Field, PositiveInt

from experiments.schedulers import TIME_ATTR
from experiments.sections import SchedulerSpec
from trainables.registry import InputError

ACCEPTS_MODEL_BASED = True


class Options(SchedulerSpec):
    grace_period: PositiveInt = Field(1, description="epochs every trial gets before it can be stopped")
    reduction_factor: float = Field(3, gt=1, description="keep the top 1/reduction_factor at each rung")
    brackets: PositiveInt = 1

    def smoke(self) -> SchedulerSpec:
        return self.model_copy(update={"grace_period": 1, "reduction_factor": 2})


def check(spec) -> None:
    if spec.scheduler.grace_period > spec.train.max_epochs:
        raise InputError(
            f"scheduler.grace_period: {spec.scheduler.grace_period} is beyond train.max_epochs "
            f"({spec.train.max_epochs}); no trial could ever be stopped"
        )


def build(spec):
    from experiments.schedulers.replay import ReplayableASHA

    options = spec.scheduler
    return ReplayableASHA(
        time_attr=TIME_ATTR,
        max_t=spec.train.max_epochs,
        grace_period=options.grace_period,
        reduction_factor=options.reduction_factor,
        brackets=options.brackets,
    )
