"""Synchronous HyperBand: brackets of successive halving that pause trials at each rung.

Paused trials resume from their checkpoints, so it needs the trainable's per-epoch checkpoints.
"""

from __future__ import annotations

from pydantic import Field

from experiments.schedulers import TIME_ATTR
from experiments.sections import SchedulerSpec

ACCEPTS_MODEL_BASED = True


class Options(SchedulerSpec):
    reduction_factor: float = Field(3, gt=1)

    def smoke(self) -> SchedulerSpec:
        return self.model_copy(update={"reduction_factor": 2})


def check(spec) -> None:
    pass


def build(spec):
    from ray.tune.schedulers import HyperBandScheduler

    return HyperBandScheduler(
        time_attr=TIME_ATTR,
        max_t=spec.train.max_epochs,
        reduction_factor=spec.scheduler.reduction_factor,
        stop_last_trials=True,
    )
