"""Tree-structured Parzen estimators (Ray's HyperOptSearch), seeded."""

from __future__ import annotations

from typing import Any

from pydantic import Field, PositiveInt

from experiments.algorithms.contract import SearchContext, TypedProposals
from experiments.sections import SearchSpec


class Options(SearchSpec):
    initial_points: PositiveInt = Field(10, description="random points before TPE guides")

    def smoke(self) -> SearchSpec:
        return super().smoke().model_copy(update={"initial_points": 1})


class HyperOpt(TypedProposals):
    name = "hyperopt"
    Options = Options

    def searcher(self, context: SearchContext, domains: dict[str, Any]) -> Any:
        from ray.tune.search.hyperopt import HyperOptSearch

        return HyperOptSearch(
            space=HyperOptSearch.convert_search_space(domains),
            metric=context.metric,
            mode=context.mode,
            n_initial_points=context.options.initial_points,
            random_state_seed=context.options.seed,
        )
