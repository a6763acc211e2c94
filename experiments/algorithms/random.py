"""Random search (Ray's BasicVariantGenerator), seeded: the same seed draws the same configs.

Grid entries in the space are crossed with the random draws, as in Ray.
"""

from __future__ import annotations

from typing import Any

from experiments.algorithms.contract import SearchAlgorithm, SearchContext


class Random(SearchAlgorithm):
    def build(self, context: SearchContext) -> tuple[Any, dict[str, Any]]:
        from ray.tune.search.basic_variant import BasicVariantGenerator

        options = context.options
        generator = BasicVariantGenerator(max_concurrent=options.max_concurrent or 0, random_state=options.seed)
        return generator, context.space.to_tune()
