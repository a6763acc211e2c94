"""Population-based training: every few epochs, poor trials copy a good one's weights and perturb its hyperparameters.

Only hyperparameters that keep the weights' shapes can be perturbed (not the
width or the optimizer), and perturbed values are cast back to their types.
"""

from __future__ import annotations

from pydantic import Field, PositiveInt

from experiments.schedulers import TIME_ATTR
from experiments.sections import SchedulerSpec
from search_spaces import Categorical
from trainables.hyperparameters import STRUCTURAL
from trainables.registry import InputError

ACCEPTS_MODEL_BASED = False


class Options(SchedulerSpec):
    perturbation_interval: PositiveInt = Field(2, description="epochs between exploit/explore steps")
    quantile_fraction: float = Field(0.25, ge=0, le=0.5, description="bottom fraction that copies the top")
    resample_probability: float = Field(0.25, ge=0, le=1)

    def smoke(self) -> SchedulerSpec:
        return self.model_copy(update={"perturbation_interval": 1})


def mutable(spec) -> dict:
    return {name: domain for name, domain in spec.search_space.searched().items() if name not in STRUCTURAL}


def check(spec) -> None:
    if not mutable(spec):
        raise InputError(
            f"scheduler.name: pbt needs a searched hyperparameter it can perturb during training "
            f"(any but {', '.join(sorted(STRUCTURAL))}) and the space has none"
        )


def build(spec):
    from ray.tune.schedulers import PopulationBasedTraining

    options = spec.scheduler
    return PopulationBasedTraining(
        time_attr=TIME_ATTR,
        perturbation_interval=options.perturbation_interval,
        quantile_fraction=options.quantile_fraction,
        resample_probability=options.resample_probability,
        hyperparam_mutations={
            name: list(domain.options) if isinstance(domain, Categorical) else domain.to_tune()
            for name, domain in mutable(spec).items()
        },
        custom_explore_fn=spec.search_space.typed,
    )
