"""Bayesian optimisation with a Gaussian process (Ray's BayesOptSearch, bayesian-optimization 1.5.1).

BayesOpt sees only continuous boxes: log domains are searched on the log scale,
integers and choices over a range, and each suggestion is decoded (rounded,
exponentiated, looked up) before it reaches a trial.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, NonNegativeFloat, PositiveInt

from experiments.algorithms import check_no_grid
from experiments.sections import SearchSpec
from search_spaces import Space

MODEL_BASED = True


class Options(SearchSpec):
    random_starts: PositiveInt = Field(2, description="random points before the model guides (the seed used 2)")
    acquisition: Literal["ucb", "ei", "poi"] = "ucb"
    kappa: NonNegativeFloat = Field(2.576, description="ucb: exploration weight")
    xi: NonNegativeFloat = Field(0.0, description="ei and poi: exploration margin")

    def smoke(self) -> SearchSpec:
        return super().smoke().model_copy(update={"random_starts": 1})


def check_space(space: Space) -> None:
    check_no_grid(space, "bayesopt")


def build(space: Space, options: Options, metric: str, mode: str) -> tuple[Any, dict[str, Any]]:
    from ray import tune
    from ray.tune.search.bayesopt import BayesOptSearch

    from experiments.algorithms.decoded import DecodedSearcher

    searcher = BayesOptSearch(
        space=BayesOptSearch.convert_search_space({name: tune.uniform(low, high) for name, (low, high) in space.boxes().items()}),
        metric=metric,
        mode=mode,
        random_search_steps=options.random_starts,
        random_state=options.seed,
        utility_kwargs={"kind": options.acquisition, "kappa": options.kappa, "xi": options.xi},
    )
    return DecodedSearcher(searcher, space.decode), space.constants()
