"""Population-based training: every few epochs, poor trials copy a good one's weights and perturb its hyperparameters.

The mutation policy is all here: only hyperparameters that keep the weights' shapes
can be perturbed (not the width or the optimizer), and a perturbed value is put back
into its domain: Ray multiplies by 0.8 or 1.2 without bounds, so a dropout of 0.9 would
become 1.08 and the trial would fail; it becomes the domain's nearest value instead.
"""

from __future__ import annotations

import functools
from typing import Any, Mapping

from pydantic import Field, PositiveInt

from core.errors import InputError
from experiments.schedulers.contract import TIME_ATTR, Scheduler, SchedulerContext
from experiments.sections import SchedulerSpec
from search_spaces import Categorical, Domain, Numeric, Space
from trainables.hyperparameters import STRUCTURAL, Hyperparameters

CHANGEABLE = frozenset(Hyperparameters.names()) - STRUCTURAL


class Options(SchedulerSpec):
    perturbation_interval: PositiveInt = Field(2, description="epochs between exploit/explore steps")
    quantile_fraction: float = Field(0.25, ge=0, le=0.5, description="bottom fraction that copies the top")
    resample_probability: float = Field(0.25, ge=0, le=1)
    synchronous: bool = Field(
        False, description="every trial waits at each multiple, so the population is ranked at equal epochs"
    )

    def smoke(self) -> SchedulerSpec:
        return self.model_copy(update={"perturbation_interval": 1})


def mutable(space: Space) -> dict[str, Domain]:
    """The searched hyperparameters PBT may change while a trial trains: the trainable's own that keep
    the weights' shapes. A user's model's own names might not, so PBT never changes them."""
    return {name: domain for name, domain in space.searched().items() if name in CHANGEABLE}


def explore(space: Space, config: Mapping[str, Any]) -> dict[str, Any]:
    """A perturbed config with every value inside its domain: bounds, grid and type."""
    return {
        name: space.domains[name].nearest(value) if isinstance(space.domains.get(name), Numeric) else value
        for name, value in space.typed(config).items()
    }


class Pbt(Scheduler):
    """Exploits the trials doing best now: a trial that peaked and fell must be replaced, so PBT
    ranks by the last epoch, not by the running best the other schedulers use."""

    Options = Options
    accepts_model_based = False
    reads_last_value = True
    keeps_every_checkpoint = True  # a donor's checkpoint may be exploited many epochs after it was written

    def check(self, context: SchedulerContext) -> None:
        if not mutable(context.space):
            raise InputError(
                f"scheduler.name: pbt needs a searched hyperparameter it can perturb during training "
                f"({', '.join(sorted(CHANGEABLE))}) and the space has none"
            )

    def checkpoint_epochs(self, context: SchedulerContext) -> frozenset[int]:
        """Every multiple of ``perturbation_interval``: a trial perturbs there, handing on or taking weights."""
        interval = context.options.perturbation_interval
        return frozenset(range(interval, context.max_epochs + 1, interval))

    def build(self, context: SchedulerContext) -> Any:
        from experiments.schedulers.pbt_grid import GridPBT

        options = context.options
        return GridPBT(
            time_attr=TIME_ATTR,
            metric=context.metric,
            mode=context.mode,
            perturbation_interval=options.perturbation_interval,
            quantile_fraction=options.quantile_fraction,
            resample_probability=options.resample_probability,
            synch=options.synchronous,
            hyperparam_mutations={
                name: list(domain.options) if isinstance(domain, Categorical) else domain.to_tune()
                for name, domain in mutable(context.space).items()
            },
            custom_explore_fn=functools.partial(explore, context.space),
        )
