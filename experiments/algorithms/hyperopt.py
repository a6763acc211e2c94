"""Tree-structured Parzen estimators (Ray's HyperOptSearch), seeded."""

from __future__ import annotations

from typing import Any

from pydantic import Field, PositiveInt

from experiments.algorithms import check_no_grid
from experiments.sections import SearchSpec
from search_spaces import Space

MODEL_BASED = True


class Options(SearchSpec):
    initial_points: PositiveInt = Field(10, description="random points before TPE guides")

    def smoke(self) -> SearchSpec:
        return super().smoke().model_copy(update={"initial_points": 1})


def check_space(space: Space) -> None:
    check_no_grid(space, "hyperopt")


def build(space: Space, options: Options, metric: str, mode: str) -> tuple[Any, dict[str, Any]]:
    from ray.tune.search.hyperopt import HyperOptSearch

    from experiments.algorithms.decoded import DecodedSearcher

    searcher = HyperOptSearch(
        space=HyperOptSearch.convert_search_space({name: domain.to_tune() for name, domain in space.searched().items()}),
        metric=metric,
        mode=mode,
        n_initial_points=options.initial_points,
        random_state_seed=options.seed,
    )
    return DecodedSearcher(searcher, space.typed), space.constants()
