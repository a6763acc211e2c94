"""Optuna's TPE sampler (Ray's OptunaSearch), seeded."""

from __future__ import annotations

from typing import Any

from pydantic import Field, PositiveInt

from experiments.algorithms import check_no_grid
from experiments.sections import SearchSpec
from search_spaces import Space

MODEL_BASED = True


class Options(SearchSpec):
    startup_trials: PositiveInt = Field(10, description="random trials before TPE guides")

    def smoke(self) -> SearchSpec:
        return super().smoke().model_copy(update={"startup_trials": 1})


def check_space(space: Space) -> None:
    check_no_grid(space, "optuna")


def build(space: Space, options: Options, metric: str, mode: str) -> tuple[Any, dict[str, Any]]:
    import optuna
    from ray.tune.search.optuna import OptunaSearch

    from experiments.algorithms.decoded import DecodedSearcher

    searcher = OptunaSearch(
        space=OptunaSearch.convert_search_space({name: domain.to_tune() for name, domain in space.searched().items()}),
        metric=metric,
        mode=mode,
        sampler=optuna.samplers.TPESampler(seed=options.seed, n_startup_trials=options.startup_trials),
    )
    return DecodedSearcher(searcher, space.typed), space.constants()
