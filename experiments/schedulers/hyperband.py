"""Synchronous HyperBand: brackets of successive halving that pause trials at each rung.

Paused trials resume from the checkpoint they reported at their rung, so the trainable checkpoints
at the rungs (``checkpoint_epochs``).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from experiments.schedulers.contract import TIME_ATTR, Scheduler, SchedulerContext
from experiments.sections import SchedulerSpec


class Options(SchedulerSpec):
    reduction_factor: float = Field(3, gt=1)

    def smoke(self) -> SchedulerSpec:
        return self.model_copy(update={"reduction_factor": 2})


class HyperBand(Scheduler):
    Options = Options

    def ray_scheduler(self) -> type:
        from ray.tune.schedulers import HyperBandScheduler

        return HyperBandScheduler

    def build(self, context: SchedulerContext) -> Any:
        return self.ray_scheduler()(
            time_attr=TIME_ATTR,
            max_t=context.max_epochs,
            reduction_factor=context.options.reduction_factor,
            stop_last_trials=True,
        )

    def checkpoint_epochs(self, context: SchedulerContext) -> frozenset[int]:
        """Every rung, but the last, of every bracket a trial may be put in: a trial reports each epoch,
        so it pauses at its bracket's rung itself, and resumes from there if it is among the best.
        At a bracket's last rung the paused trials are stopped, never resumed.

        The rungs are Ray's own, from empty brackets halved as full ones are; this reads Ray 2.60's
        private ``_s_max_1``, ``_get_r0``, ``_create_bracket`` and ``_cumul_r``.
        """
        built = self.build(context)
        rungs = set()
        for s in range(built._s_max_1):
            if built._get_r0(s) == 0:  # Ray never fills a bracket that would start at epoch 0
                continue
            bracket = built._create_bracket(s)
            for _ in range(s):  # s halvings, each after a rung
                rungs.add(bracket._cumul_r)
                bracket.successive_halving(TIME_ATTR, 1.0)  # no trials: only the rung moves on
        return frozenset(rungs)
