"""PBT that perturbs a trial only at multiples of ``perturbation_interval``, where the trainable checkpoints.

Ray's PBT perturbs a trial once ``perturbation_interval`` epochs have passed since its last
perturbation, which Ray does not save with the experiment: a resumed sweep's PBT starts from 0
and would perturb each trial at the first epoch after the checkpoint it resumed from, where the
trial has no checkpoint to hand on, and from then on off the multiples. Here the last perturbation
is never older than the last multiple before the epoch reported, which changes nothing in a sweep
that never stopped (a trial perturbs at every multiple it reaches).

Reads Ray 2.60's private ``_trial_state``, ``_time_attr`` and ``_perturbation_interval``.
"""

from __future__ import annotations

from ray.tune.schedulers import PopulationBasedTraining


class GridPBT(PopulationBasedTraining):
    def on_trial_result(self, tune_controller, trial, result: dict) -> str:
        epoch = result.get(self._time_attr)
        if epoch is not None:
            state = self._trial_state[trial]
            last_multiple = (epoch - 1) // self._perturbation_interval * self._perturbation_interval
            state.last_perturbation_time = max(state.last_perturbation_time, last_multiple)
        return super().on_trial_result(tune_controller, trial, result)
