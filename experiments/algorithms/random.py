"""Random search (Ray's BasicVariantGenerator), seeded: the same seed draws the same configs.

Grid entries in the space are crossed with the random draws, as in Ray.
"""

from __future__ import annotations

from typing import Any

from experiments.sections import SearchSpec
from search_spaces import Space

MODEL_BASED = False


class Options(SearchSpec):
    pass


def check_space(space: Space) -> None:
    pass


def build(space: Space, options: SearchSpec, metric: str, mode: str) -> tuple[Any, dict[str, Any]]:
    from ray.tune.search.basic_variant import BasicVariantGenerator

    generator = BasicVariantGenerator(max_concurrent=options.max_concurrent or 0, random_state=options.seed)
    return generator, space.to_tune()
