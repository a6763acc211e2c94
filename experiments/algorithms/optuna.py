"""Optuna's TPE sampler (Ray's OptunaSearch), seeded."""

from __future__ import annotations

from typing import Any

from pydantic import Field, PositiveInt

from experiments.algorithms.contract import SearchContext, TypedProposals
from experiments.sections import SearchSpec


class Options(SearchSpec):
    startup_trials: PositiveInt = Field(10, description="random trials before TPE guides")

    def smoke(self) -> SearchSpec:
        return super().smoke().model_copy(update={"startup_trials": 1})


class Optuna(TypedProposals):
    name = "optuna"
    Options = Options

    def searcher(self, context: SearchContext, domains: dict[str, Any]) -> Any:
        import optuna
        from ray.tune.search.optuna import OptunaSearch

        return OptunaSearch(
            space=OptunaSearch.convert_search_space(domains),
            metric=context.metric,
            mode=context.mode,
            sampler=optuna.samplers.TPESampler(seed=context.options.seed, n_startup_trials=context.options.startup_trials),
        )
