"""Typed suggestions for the model-based searchers, each decoded configuration run once.

Trials, results and reports hold the values the space stands for (an integer width,
a chosen optimizer) instead of the searcher's encoding. Where several encodings decode
to one configuration (BayesOpt's floats over integers and choices), a repeat would
retrain the same configuration with the same seed for the same result: the searcher is
told that result instead and asked again. A searcher that can only repeat itself, or
that says it is finished, has exhausted the space, which ends a sweep normally.
"""

from __future__ import annotations

from typing import Any, Callable

from ray.tune.search import Searcher

# Repeats told back to the searcher in a row before it counts as exhausted.
MAX_REPEATS = 20


def _key(config: dict[str, Any]) -> tuple:
    return tuple(sorted(config.items()))


class DecodedSearcher(Searcher):
    """A searcher whose suggestions pass through ``decode`` before a trial sees them."""

    def __init__(
        self, searcher: Searcher, decode: Callable[[dict[str, Any]], dict[str, Any]], deduplicate: bool = False
    ):
        self.searcher = searcher
        self.decode = decode
        self.deduplicate = deduplicate
        self.seen: dict[tuple, float | None] = {}  # decoded config → the value learned from it (None: running)
        self.live: dict[str, tuple] = {}
        self.parked: dict[str, tuple] = {}  # repeats of a configuration still training, awaiting its result
        self.repeats_told = 0
        self.exhausted = False
        super().__init__(metric=searcher.metric, mode=searcher.mode)

    def set_search_properties(self, metric: str | None, mode: str | None, config: dict, **spec) -> bool:
        return self.searcher.set_search_properties(metric, mode, config, **spec)

    def set_max_concurrency(self, max_concurrent: int) -> bool:
        return self.searcher.set_max_concurrency(max_concurrent)

    def suggest(self, trial_id: str) -> dict | None:
        if self.parked:  # asking again before the original's result would only repeat it (and Ray counts repeats)
            return None
        for _ in range(MAX_REPEATS):
            suggestion = self.searcher.suggest(trial_id)
            if suggestion is None:
                return None
            if suggestion == Searcher.FINISHED:
                self.exhausted = True
                return suggestion
            config = self.decode(suggestion)
            if not self.deduplicate:
                return config
            key = _key(config)
            if key not in self.seen:
                self.seen[key], self.live[trial_id] = None, key
                return config
            self.repeats_told += 1
            if self.seen[key] is None:  # the same configuration is still training: told its result when it ends
                self.parked[trial_id] = key
                return None
            self.searcher.on_trial_complete(trial_id, result={self.metric: self.seen[key]})
        self.exhausted = True
        return Searcher.FINISHED

    def on_trial_result(self, trial_id: str, result: dict) -> None:
        self.searcher.on_trial_result(trial_id, result)

    def on_pause(self, trial_id: str) -> None:  # BOHB's HyperBand tells its searcher of each pause
        self.searcher.on_pause(trial_id)

    def on_unpause(self, trial_id: str) -> None:
        self.searcher.on_unpause(trial_id)

    def on_trial_complete(self, trial_id: str, result: dict | None = None, error: bool = False) -> None:
        self.searcher.on_trial_complete(trial_id, result=result, error=error)
        key = self.live.pop(trial_id, None)
        if key is None:
            return
        value = None if error or not result or self.metric not in result else result[self.metric]
        if value is None:
            self.seen.pop(key, None)  # nothing learned: the configuration may be tried again
        else:
            self.seen[key] = value
        for repeat in [repeat for repeat, repeated in self.parked.items() if repeated == key]:
            del self.parked[repeat]
            told = {"result": {self.metric: value}} if value is not None else {"error": True}
            self.searcher.on_trial_complete(repeat, **told)

    # Ray's SearchGenerator saves a wrapper (anything with `.searcher`) by get_state/set_state
    # and the searcher it wraps by its own save_to_dir.
    def get_state(self) -> dict:
        return {"seen": self.seen, "live": self.live, "parked": self.parked, "repeats_told": self.repeats_told,
                "exhausted": self.exhausted}

    def set_state(self, state: dict) -> None:
        self.seen, self.live, self.parked = state.get("seen", {}), state.get("live", {}), state.get("parked", {})
        self.repeats_told, self.exhausted = state.get("repeats_told", 0), state.get("exhausted", False)

    @property
    def metric(self) -> str | None:
        return self.searcher.metric

    @property
    def mode(self) -> str | None:
        return self.searcher.mode
