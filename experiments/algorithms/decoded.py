"""Typed suggestions for the model-based searchers."""

from __future__ import annotations

from typing import Any, Callable

from ray.tune.search import Searcher



class DecodedSearcher(Searcher):
    """A searcher whose suggestions pass through ``decode`` before a trial sees them.

    Trials, results and reports then hold the values the space stands for
    (an integer width, a chosen optimizer) instead of the searcher's encoding.
    """

    def __init__(self, searcher: Searcher, decode: Callable[[dict[str, Any]], dict[str, Any]]):
        self.searcher = searcher
        self.decode = decode
        super().__init__(metric=searcher.metric, mode=searcher.mode)

    def set_search_properties(self, metric: str | None, mode: str | None, config: dict, **spec) -> bool:
        return self.searcher.set_search_properties(metric, mode, config, **spec)

    def set_max_concurrency(self, max_concurrent: int) -> bool:
        return self.searcher.set_max_concurrency(max_concurrent)

    def suggest(self, trial_id: str) -> dict | None:
        suggestion = self.searcher.suggest(trial_id)
        if suggestion in (None, Searcher.FINISHED):
            return suggestion
        return self.decode(suggestion)

    def on_trial_result(self, trial_id: str, result: dict) -> None:
        self.searcher.on_trial_result(trial_id, result)

    def on_trial_complete(self, trial_id: str, result: dict | None = None, error: bool = False) -> None:
        self.searcher.on_trial_complete(trial_id, result=result, error=error)

    def get_state(self) -> dict:
        return {}  # nothing beyond the wrapped searcher's own state, which Ray saves separately

    def set_state(self, state: dict) -> None:
        pass

    def save(self, checkpoint_path: str) -> None:
        self.searcher.save(checkpoint_path)

    def restore(self, checkpoint_path: str) -> None:
        self.searcher.restore(checkpoint_path)

    @property
    def metric(self) -> str | None:
        return self.searcher.metric

    @property
    def mode(self) -> str | None:
        return self.searcher.mode
