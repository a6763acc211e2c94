"""Grid search: every combination of the space's grids, ``num_samples`` times over."""

from __future__ import annotations

from pydantic import Field, PositiveInt

from experiments.algorithms.random import Random
from experiments.sections import SearchSpec
from search_spaces import Space, SpaceError


class Options(SearchSpec):
    num_samples: PositiveInt = Field(1, description="repeats of the whole grid")

    def smoke(self) -> SearchSpec:
        return self.model_copy(update={"num_samples": 1})


class Grid(Random):
    """Ray's variant generator enumerates the grids; only the spaces it accepts differ from random search."""

    Options = Options

    def check_space(self, space: Space) -> None:
        not_grid = [name for name in space.searched() if name not in space.grid_names()]
        if not_grid:
            raise SpaceError(
                f"search.algorithm: grid needs every searched hyperparameter as {{grid: [...]}}; "
                f"{', '.join(not_grid)} {'is' if len(not_grid) == 1 else 'are'} not (use random search to sample them)"
            )
        if not space.grid_names():
            raise SpaceError("search.algorithm: grid needs at least one {grid: [...]} in the space")
