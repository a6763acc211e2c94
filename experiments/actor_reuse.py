"""Reused trial actors that never cost a starting one (a fix to Ray 2.60's Tune controller).

With ``reuse_actors=True`` Tune requests an actor for every trial it stages and, when a finished
trial's actor is cached, hands that actor to the oldest staged trial and removes the trial's own
actor, even one already created on free CPUs and importing its trainable (ray#42951, ray#41557).
When an actor takes longer to start than a trial takes to run (short trials, or TensorFlow
imported by several actors on few cores), every starting actor is removed before it is ready: the
sweep runs on the actors that started first and never fills its slots. benchmarks/scale.py on 16
logical CPUs (2 cores) ran 8 trials at once and started 120 actors for 120 trials; with this fix,
16 at once and 16 actors.

The fix: a cached actor goes only to a trial whose own actor still waits for resources; a trial
whose actor is being created keeps it. Tune then hands the cached actor to the next staged
trial, or to a trial it stages next.
"""

from __future__ import annotations

from ray.tune.execution.tune_controller import TuneController

_ray_reuse = TuneController._maybe_reuse_cached_actor


def _reuse_unless_starting(controller: TuneController, trial) -> bool:
    own = controller._trial_to_actor.get(trial)
    starting = (
        own is not None
        and trial not in controller._resetting_trials
        and own not in controller._actor_manager._pending_actors_to_attrs
    )
    return False if starting else _ray_reuse(controller, trial)


def keep_starting_actors() -> None:
    """Install the fix; a no-op once installed."""
    TuneController._maybe_reuse_cached_actor = _reuse_unless_starting
