"""Tune's bookkeeping per trial, kept to what cnn-tune reads, so that a driver of 10,000 trials stays small.

For every number in every result Tune keeps, per trial, the average of the last 5 and of the
last 10 values, in two deques (``metric_n_steps``), and writes them into every snapshot of the
experiment. Nothing in cnn-tune reads them (its record keeps each trial's history, and selection
reads the record), and they were the largest part of a trial's state: about 30 KB of the driver's
memory and 7 KB of each snapshot per trial. Tune's other summaries (min, max, mean, last) stay.
"""

from __future__ import annotations

from ray import tune


class LeanTrialState(tune.Callback):
    def on_trial_start(self, iteration, trials, trial, **info) -> None:
        trial.run_metadata._n_steps = ()
        trial.run_metadata.metric_n_steps = {}
