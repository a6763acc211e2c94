"""The contract every search algorithm meets: one subclass per module, registered by name.

An algorithm says which spaces it can search, which spec options it takes, whether it
learns from finished trials, and builds Ray's searcher from one typed context. Its own
encoding of the space (BayesOpt's boxes, for one) stays in its own module.
"""

from __future__ import annotations

import functools
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

from experiments.sections import SearchSpec
from search_spaces import Space, SpaceError

# Sequential model-based searchers learn from finished trials: with every slot of
# a large cluster busy at once they would degrade to random search.
MODEL_BASED_MAX_CONCURRENT = 4


@dataclass(frozen=True)
class SearchContext:
    """Everything an algorithm may build its searcher from."""

    space: Space
    options: SearchSpec
    metric: str
    mode: str
    second_objective: str | None = None  # a measured cost, minimised: only for an algorithm that is multi_objective


class SearchAlgorithm(ABC):
    """Proposes configurations: Ray's searcher (or variant generator) and the param_space it reads."""

    Options: ClassVar[type[SearchSpec]] = SearchSpec
    model_based: ClassVar[bool] = False  # learns from finished trials: capped concurrency, no PBT
    # Learns from two objectives at once. One that is model_based and not this would chase the metric
    # alone, so it is refused a second objective; one that learns nothing samples the front unbiased.
    multi_objective: ClassVar[bool] = False
    scheduler: ClassVar[str | None] = None  # the one scheduler it runs with, if it needs one

    def check_space(self, space: Space) -> None:
        """Refuse, with a ``SpaceError`` naming the field, a space this algorithm cannot search."""

    @abstractmethod
    def build(self, context: SearchContext) -> tuple[Any, dict[str, Any]]:
        """(Ray searcher, param_space) for the Tuner; every config it proposes is typed as the space says."""

    def max_concurrent_trials(self, options: SearchSpec) -> int | None:
        """The Tuner's cap on trials at once (None: the searcher's own, or none)."""
        return (options.max_concurrent or MODEL_BASED_MAX_CONCURRENT) if self.model_based else None


class ProposesItsOwnPoints(SearchAlgorithm, ABC):
    """A model-based algorithm: it samples domains itself, so it cannot enumerate a grid."""

    model_based = True
    name: ClassVar[str]

    def check_space(self, space: Space) -> None:
        if space.grid_names():
            raise SpaceError(
                f"search.algorithm: {self.name} proposes points itself and cannot enumerate a grid "
                f"({', '.join(space.grid_names())}); write those as {{choice: [...]}} or use grid or random"
            )


class TypedProposals(ProposesItsOwnPoints, ABC):
    """A searcher that samples Ray's own domains; its floats are cast back to each domain's type."""

    # True: several suggestions may decode to one configuration, which then runs once (see decoded.py).
    deduplicate: ClassVar[bool] = False

    def decode(self, space: Space, suggestion: dict[str, Any]) -> dict[str, Any]:
        """A suggestion as the configuration a trial runs."""
        return space.typed(suggestion)

    @abstractmethod
    def searcher(self, context: SearchContext, domains: dict[str, Any]) -> Any:
        """Ray's searcher over ``domains`` (Ray Tune domains of the searched hyperparameters)."""

    def build(self, context: SearchContext) -> tuple[Any, dict[str, Any]]:
        from experiments.algorithms.decoded import DecodedSearcher

        space = context.space
        domains = {name: domain.to_tune() for name, domain in space.searched().items()}
        searcher = self.searcher(context, domains)
        return DecodedSearcher(searcher, functools.partial(self.decode, space), self.deduplicate), space.constants()
