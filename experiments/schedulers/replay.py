"""ASHA that survives a resume: its rungs are rebuilt from the recorded history, in every bracket.

Tune checkpoints trials and the searcher but not the scheduler. Replaying every
recorded result, in the order the driver received them, restores the rungs exactly,
so trials resumed after a crash are judged against the same cutoffs as before. With
several brackets, Ray draws each trial's bracket at random and records it nowhere; here
the draw keeps Ray's probabilities but is a function of the trial id, so a replay puts
every result back in the bracket it went to.

Reads Ray 2.60's private ``_brackets``, ``_rungs``, ``_trial_info`` and ``_metric_op``:
ASHA has no public way to seed its rungs or its bracket draw.
"""

from __future__ import annotations

import zlib
from types import SimpleNamespace

import numpy as np
from ray.tune.schedulers import ASHAScheduler

from experiments.schedulers.queue import FirstWaiting


class ReplayableASHA(FirstWaiting, ASHAScheduler):
    def bracket_of(self, trial_id: str):
        """Ray's draw (brackets with more rungs more likely, as ``on_trial_add``), by the trial id's hash."""
        sizes = np.array([len(bracket._rungs) for bracket in self._brackets])
        probabilities = np.e ** (sizes - sizes.max())
        cumulative = np.cumsum(probabilities / probabilities.sum())
        draw = zlib.crc32(trial_id.encode()) / 2**32
        return self._brackets[min(int(np.searchsorted(cumulative, draw, side="right")), len(self._brackets) - 1)]

    def on_trial_add(self, tune_controller, trial) -> None:
        super().on_trial_add(tune_controller, trial)  # Ray's checks of metric and mode
        self._trial_info[trial.trial_id] = self.bracket_of(trial.trial_id)

    def replay(self, results: list[tuple[str, int, float]]) -> None:
        """Feed (trial_id, iteration, metric) in arrival order into the rungs; decisions are discarded."""
        for trial_id, iteration, value in results:
            self.bracket_of(trial_id).on_result(SimpleNamespace(trial_id=trial_id), iteration, self._metric_op * value)
