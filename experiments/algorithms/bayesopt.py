"""Bayesian optimisation with a Gaussian process (Ray's BayesOptSearch, bayesian-optimization 1.5.1).

BayesOpt sees only continuous boxes: log domains are searched on the log scale,
integers and choices over a range, and each suggestion is decoded (rounded,
exponentiated, looked up) before it reaches a trial. The encoding lives here,
since no other algorithm needs it.
"""

from __future__ import annotations

import functools
import math
from typing import Any, Literal, Mapping

from pydantic import Field, NonNegativeFloat, PositiveInt

from experiments.algorithms.contract import ProposesItsOwnPoints, SearchContext
from experiments.sections import SearchSpec
from search_spaces import Categorical, Domain, Numeric, Space


class Options(SearchSpec):
    random_starts: PositiveInt = Field(2, description="random points before the model guides (the seed used 2)")
    acquisition: Literal["ucb", "ei", "poi"] = "ucb"
    kappa: NonNegativeFloat = Field(2.576, description="ucb: exploration weight")
    xi: NonNegativeFloat = Field(0.0, description="ei and poi: exploration margin")

    def smoke(self) -> SearchSpec:
        return super().smoke().model_copy(update={"random_starts": 1})


def box(domain: Domain) -> tuple[float, float]:
    """The continuous interval BayesOpt searches for one domain."""
    if isinstance(domain, Categorical):
        return 0.0, float(len(domain.options))
    high = domain.high - 1e-9 if domain.integer and domain.q is None else domain.high
    return (math.log(domain.low), math.log(high)) if domain.log else (float(domain.low), float(high))


def decode_value(domain: Domain, u: float) -> Any:
    """A point of ``box(domain)`` as the value it stands for."""
    if isinstance(domain, Categorical):
        return domain.options[min(int(math.floor(u)), len(domain.options) - 1)]
    assert isinstance(domain, Numeric)
    value = math.exp(u) if domain.log else u
    if domain.integer and domain.q is None:  # the box's upper end, high - 1e-9, floors to high - 1
        value = math.floor(value)
    return domain.nearest(value)


def boxes(space: Space) -> dict[str, tuple[float, float]]:
    """Continuous bounds of every searched hyperparameter."""
    return {name: box(domain) for name, domain in space.searched().items()}


def decode(space: Space, encoded: Mapping[str, float]) -> dict[str, Any]:
    """A point of ``boxes(space)`` as the hyperparameter values it stands for."""
    searched = space.searched()
    return {name: decode_value(searched[name], u) if name in searched else u for name, u in encoded.items()}


class BayesOpt(ProposesItsOwnPoints):
    name = "bayesopt"
    Options = Options

    def build(self, context: SearchContext) -> tuple[Any, dict[str, Any]]:
        from ray import tune
        from ray.tune.search.bayesopt import BayesOptSearch

        from experiments.algorithms.decoded import DecodedSearcher

        options = context.options
        searcher = BayesOptSearch(
            space=BayesOptSearch.convert_search_space({name: tune.uniform(*bounds) for name, bounds in boxes(context.space).items()}),
            metric=context.metric,
            mode=context.mode,
            random_search_steps=options.random_starts,
            random_state=options.seed,
            utility_kwargs={"kind": options.acquisition, "kappa": options.kappa, "xi": options.xi},
        )
        decoder = functools.partial(decode, context.space)
        return DecodedSearcher(searcher, decoder, deduplicate=True), context.space.constants()
