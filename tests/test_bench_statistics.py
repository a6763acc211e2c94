"""The statistic every benchmark reports: a median with its bootstrap 95% interval, and the verdict
that calls a goal met only when the whole interval is on its side."""

from __future__ import annotations

import pytest

from benchmarks.common import shown, spread, verdict


@pytest.mark.parametrize("runs", [[1.0], [1.0, 3.0], [2.0, 1.0, 3.0], [5.0, 1.0, 4.0, 2.0, 3.0]])
def test_five_or_fewer_runs_give_the_min_max_as_the_interval(runs: list[float]) -> None:
    found = spread(runs)
    assert (found["low"], found["high"]) == (min(runs), max(runs))


def test_more_runs_give_an_interval_inside_the_min_max_around_the_median() -> None:
    found = spread([1.0 + i / 100 for i in range(21)])
    assert found["min"] < found["low"] < found["median"] < found["high"] < found["max"]


def test_the_interval_is_the_same_on_every_call() -> None:
    runs = [0.77, 1.24, 1.01, 0.98, 1.10, 1.03, 0.95, 1.08, 1.05, 0.99]
    assert spread(runs) == spread(runs)


def test_one_outlier_among_many_runs_does_not_make_a_met_goal_open() -> None:
    found = spread([1.0] * 20 + [2.0])
    assert verdict(found, 1.05) == "1.00 [1.00-1.00], goal <= 1.05: met"


@pytest.mark.parametrize(("runs", "said"), [([0.9, 1.0, 1.1], "open (interval straddles the goal)"),
                                            ([1.1, 1.2, 1.3], "missed"), ([0.8, 0.9, 1.0], "met")])
def test_a_goal_is_met_missed_or_open_by_where_the_interval_lies(runs: list[float], said: str) -> None:
    assert verdict(spread(runs), 1.0).endswith(f"goal <= 1: {said}")


@pytest.mark.parametrize(("runs", "said"), [([0.8, 0.9, 1.0], "open (interval straddles the goal)"),
                                            ([0.7, 0.8, 0.85], "missed"), ([0.9, 0.95, 1.0], "met")])
def test_an_at_least_goal_is_met_only_when_the_whole_interval_is_at_or_above_it(runs: list[float], said: str) -> None:
    assert verdict(spread(runs), 0.9, at_least=True).endswith(f"goal >= 0.9: {said}")


def test_a_negative_bound_is_printed_with_to_not_a_dash() -> None:
    assert shown(spread([-0.5, 0.25, 0.75]), "+.2f") == "+0.25 [-0.50 to +0.75]"
