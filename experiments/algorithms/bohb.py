"""BOHB: a kernel-density model of good configurations per budget (Ray's TuneBOHB, HpBandSter 0.7.4).

It learns from every rung of its HyperBand (scheduler ``bohb``), not only from finished
trials, so it runs with that scheduler and no other. ConfigSpace has no quantized
domains: Ray drops ``q`` with a warning, and each suggestion is put back on the grid here.
"""

from __future__ import annotations

import logging
from typing import Any

from experiments.algorithms.contract import SearchContext, TypedProposals
from search_spaces import Numeric, Space


class Bohb(TypedProposals):
    name = "bohb"
    scheduler = "bohb"
    deduplicate = True  # two suggestions may land on one grid point

    def searcher(self, context: SearchContext, domains: dict[str, Any]) -> Any:
        from ray.tune.search.bohb import TuneBOHB

        logging.getLogger("ray.tune.search.bohb.bohb_search").setLevel(logging.ERROR)  # "dropped quantization"
        space = TuneBOHB.convert_search_space(domains)
        return TuneBOHB(space=space, metric=context.metric, mode=context.mode, seed=context.options.seed)

    def decode(self, space: Space, suggestion: dict[str, Any]) -> dict[str, Any]:
        typed = space.typed(suggestion)
        return {name: domain.nearest(typed[name]) if isinstance(domain := space.domains.get(name), Numeric) else typed[name]
                for name in typed}
