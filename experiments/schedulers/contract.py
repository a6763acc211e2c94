"""The contract every trial scheduler meets: one subclass per module, registered by name.

A scheduler says which spec options it takes, whether Ray can pair it with a
model-based searcher, what it refuses, and builds Ray's scheduler from one typed
context. Metric and mode reach the scheduler through Tune's config, never twice.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

from experiments.sections import SchedulerSpec
from search_spaces import Space

# One report per epoch, so Ray's iteration count is the epoch count, also across restores.
TIME_ATTR = "training_iteration"


@dataclass(frozen=True)
class SchedulerContext:
    """Everything a scheduler may be checked against and built from."""

    options: SchedulerSpec
    space: Space
    max_epochs: int
    metric: str = "val_accuracy"  # the per-epoch objective; only a scheduler that reads_last_value gets it
    mode: str = "max"


class Scheduler(ABC):
    """Decides, as results arrive, which trials go on, pause or stop."""

    Options: ClassVar[type[SchedulerSpec]] = SchedulerSpec
    accepts_model_based: ClassVar[bool] = True  # Ray pairs it with a model-based searcher
    algorithm: ClassVar[str | None] = None  # the one search algorithm it runs with, if it needs one
    # False: it ranks trials by their best epoch so far (the running best), as the sweep selects;
    # True: by the last epoch, with the objective given at build time and not through Tune.
    reads_last_value: ClassVar[bool] = False
    # True: it hands one trial's checkpoint to another at a moment it chooses, so no checkpoint may
    # be deleted under it (`checkpoint.keep` does not apply).
    keeps_every_checkpoint: ClassVar[bool] = False
    # True: it stops, pauses or exploits trials by their score on the sweep's one metric. A sweep of
    # two objectives refuses it: it would cut small, slow-learning models on accuracy alone.
    ranks_trials: ClassVar[bool] = True

    def checkpoint_epochs(self, context: SchedulerContext) -> frozenset[int]:
        """Epochs at which it may pause a trial or hand a trial's weights to another. Tune can save a
        function trainable only as the checkpoint it last reported, so the trial checkpoints there;
        a scheduler that only stops trials needs none."""
        return frozenset()

    def check(self, context: SchedulerContext) -> None:
        """Refuse, with an ``InputError`` naming the field, settings this scheduler cannot honour."""

    @abstractmethod
    def build(self, context: SchedulerContext) -> Any:
        """Ray's ``TrialScheduler``; unless ``reads_last_value``, without a metric (Tune gives it one)."""
