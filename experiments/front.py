"""Sweeps of two objectives: what may run them, and which point of their Pareto front the final step takes.

A sweep that trades its metric against a measured cost (``metric: [val_accuracy, params]``)
has no single best trial but a front of trade-offs; ``final.front`` names a limit on the
cost, and the final step takes the front's best metric within it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from core.errors import InputError
from core.metrics import best_of

if TYPE_CHECKING:
    from experiments.results import SweepResult
    from experiments.spec import Spec


class FrontLimitUnmet(Exception):
    """No point of the front meets ``final.front``'s limit: the sweep's record and report stand, the final step
    cannot run. ``result``: what the sweep left on disk."""

    def __init__(self, message: str, result: SweepResult):
        super().__init__(message)
        self.result = result


def check_objectives(spec: Spec) -> None:
    """Refuse, one line naming the field, what cannot run a sweep of two objectives or choose from its front."""
    from experiments.algorithms import ALGORITHMS, algorithm
    from experiments.schedulers import SCHEDULERS, scheduler

    second, front = spec.second_objective, spec.final.front
    if second is None:
        if front:
            raise InputError("final.front: picks a point of the Pareto front of two objectives; "
                             f"write metric: [{spec.objective}, params] (or latency_ms) to trade against one")
        return
    searcher, chosen = algorithm(spec.search.algorithm), scheduler(spec.scheduler.name)
    if searcher.model_based and not searcher.multi_objective:
        both = [name for name in ALGORITHMS.names() if algorithm(name).multi_objective]
        raise InputError(
            f"search.algorithm: {spec.search.algorithm} learns from one objective and would chase {spec.objective} "
            f"alone, leaving the front to chance; with two objectives use {', '.join(both)} (learns both), "
            f"random or grid (learn neither)"
        )
    if chosen.ranks_trials:
        fair = [name for name in SCHEDULERS.names() if not scheduler(name).ranks_trials]
        raise InputError(
            f"scheduler.name: {spec.scheduler.name} stops or exploits trials on {spec.objective} alone, which would "
            f"cut small, slow-learning models and bias the front; with two objectives use {', '.join(fair)}"
        )
    if front:
        name, _ = front.limit
        if name != second:
            raise InputError(f"final.front.max_{name}: the sweep's second objective is {second}; write max_{second}")
        if not (spec.final.enabled or spec.final.finalists):
            raise InputError("final.front: chooses what final.enabled retrains (or final.finalists re-validates); "
                             "set final.enabled: true")


def front_choice(spec: Spec, result: SweepResult) -> dict[str, Any]:
    """The point of the recorded front that ``final.front`` chooses: the best ``spec.objective`` among the
    points within its limit, with the limit and the reason; ``FrontLimitUnmet`` when none is within it.
    No trial outside the front meets a limit that every front point misses: each is dominated by one."""
    name, most = spec.final.front.limit
    front = result.summary["front"]
    within = [point for point in front if point["metrics"][name] <= most]
    if not within:
        smallest = min((point["metrics"][name] for point in front), default=None)
        least = f"the smallest on the front is {smallest:g}" if smallest is not None else "the front is empty"
        raise FrontLimitUnmet(f"final.front.max_{name}: no point of the front has {name} <= {most:g} ({least}); "
                              f"raise the limit, the sweep's record and report are in {result.run_dir}", result)
    point = best_of(within, lambda point: point["metrics"][spec.objective], spec.objective_mode)
    return {
        **point,
        "limit": {name: most},
        "why": f"the best {spec.objective} ({point['metrics'][spec.objective]:.4f}) of the {len(within)} of "
               f"{len(front)} front points with {name} <= {most:g}",
    }
