"""ASHA that survives a resume: its rungs are rebuilt from the recorded history.

Tune checkpoints trials and the searcher but not the scheduler. Replaying every
recorded result, in the order the driver received them, restores the rungs exactly,
so trials resumed after a crash are judged against the same cutoffs as before.
"""

from __future__ import annotations

from types import SimpleNamespace

from ray.tune.schedulers import ASHAScheduler


class ReplayableASHA(ASHAScheduler):
    def replay(self, results: list[tuple[str, int, float]]) -> None:
        """Feed (trial_id, iteration, metric) in arrival order into the rungs; decisions are discarded."""
        if len(self._brackets) != 1:
            return  # with several brackets the trial-to-bracket draw is not recorded: start afresh
        bracket = self._brackets[0]
        for trial_id, iteration, value in results:
            bracket.on_result(SimpleNamespace(trial_id=trial_id), iteration, self._metric_op * value)
