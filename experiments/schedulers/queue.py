"""Which waiting trial runs next, found without walking every trial the sweep ever made.

Ray 2.60's FIFO rule (``FIFOScheduler.choose_trial_to_run``, which ASHA and median stopping
inherit) walks the whole list of trials, ended ones included, each time Tune looks for a trial
to start: a few times per result, so a sweep's cost grows with the square of its trials. At
1,000 one-second trials it took 2.2 s of the driver's time; at 10,000 it would take minutes.

The rule is the same here (the first pending trial in the order trials were added, else the
first paused one), over the trials not yet known to have ended. Within one Tuner an ended trial
never waits again: Tune requeues a failed trial in the same step that ends it.
"""

from __future__ import annotations

from typing import Any

from ray.tune.experiment import Trial
from ray.tune.schedulers import FIFOScheduler, MedianStoppingRule


class FirstWaiting:
    """Mixin before a Ray scheduler that uses ``FIFOScheduler.choose_trial_to_run``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._unended: dict[Any, None] = {}  # trials in the order they were added

    def on_trial_add(self, tune_controller, trial) -> None:
        super().on_trial_add(tune_controller, trial)
        self._unended[trial] = None

    def choose_trial_to_run(self, tune_controller) -> Any:
        chosen, paused, ended = None, None, []
        for trial in self._unended:
            if trial.status == Trial.PENDING:
                chosen = trial
                break
            if trial.status == Trial.PAUSED:
                paused = paused or trial
            elif trial.is_finished():
                ended.append(trial)
        for trial in ended:
            del self._unended[trial]
        return chosen or paused


class QueuedFIFO(FirstWaiting, FIFOScheduler):
    pass


class QueuedMedianStopping(FirstWaiting, MedianStoppingRule):
    pass
