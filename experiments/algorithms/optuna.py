"""Optuna's TPE sampler (Ray's OptunaSearch), seeded; with two objectives, multi-objective TPE."""

from __future__ import annotations

from typing import Any

from pydantic import Field, PositiveInt

from core.metrics import metric_mode
from experiments.algorithms.contract import SearchContext, TypedProposals
from experiments.sections import SearchSpec


class Options(SearchSpec):
    startup_trials: PositiveInt = Field(10, description="random trials before TPE guides")

    def smoke(self) -> SearchSpec:
        return super().smoke().model_copy(update={"startup_trials": 1})


class Optuna(TypedProposals):
    name = "optuna"
    Options = Options
    multi_objective = True

    def searcher(self, context: SearchContext, domains: dict[str, Any]) -> Any:
        import optuna
        from ray.tune.search.optuna import OptunaSearch

        second = context.second_objective  # Ray passes lists on to a study of several directions
        return OptunaSearch(
            space=OptunaSearch.convert_search_space(domains),
            metric=[context.metric, second] if second else context.metric,
            mode=[context.mode, metric_mode(second)] if second else context.mode,
            sampler=optuna.samplers.TPESampler(seed=context.options.seed, n_startup_trials=context.options.startup_trials),
        )
