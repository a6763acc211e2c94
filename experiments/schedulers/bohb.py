"""HyperBand for BOHB: synchronous successive halving that tells the BOHB searcher of each pause.

Ray's ``HyperBandForBOHB`` calls its searcher's ``on_pause``/``on_unpause``, which only
TuneBOHB has, so it runs with search algorithm ``bohb`` and no other. Its rungs pause
trials as HyperBand's do, and so need the same checkpoints.
"""

from __future__ import annotations

from experiments.schedulers.hyperband import HyperBand


class Bohb(HyperBand):
    algorithm = "bohb"

    def ray_scheduler(self) -> type:
        from ray.tune.schedulers import HyperBandForBOHB

        return HyperBandForBOHB
