"""Sweeps of two objectives: what may run them.

A sweep that trades its metric against a measured cost (``metric: [val_accuracy, params]``)
has no single best trial but a front of trade-offs, which a searcher or scheduler that
judges trials on the metric alone would bend.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.errors import InputError

if TYPE_CHECKING:
    from experiments.spec import Spec


def check_objectives(spec: Spec) -> None:
    """Refuse, one line naming the field, what cannot run a sweep of two objectives."""
    from experiments.algorithms import ALGORITHMS, algorithm
    from experiments.schedulers import SCHEDULERS, scheduler

    if spec.second_objective is None:
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
