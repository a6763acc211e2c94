"""End-to-end sweeps through real Ray and real Keras, on a few hundred real images.

The contract test is parametrized over the registries: a new search algorithm or
scheduler is tested by being registered.
"""

import itertools
import json
import math

import pytest

import experiments
from experiments.algorithms import ALGORITHMS
from experiments.schedulers import SCHEDULERS

pytestmark = pytest.mark.slow

PAIRS = [
    (algorithm, scheduler)
    for algorithm in ALGORITHMS.names()
    for scheduler in SCHEDULERS.names()
    if not (ALGORITHMS.load(algorithm).MODEL_BASED and not SCHEDULERS.load(scheduler).ACCEPTS_MODEL_BASED)
]


def sweep(storage, name, space="quickstart", smoke=True, **spec):
    return experiments.run({"name": name, "space": space, **spec}, smoke=smoke, storage=storage, verbose=0)


SPACE_FOR = {"grid": "seed-grid", "bayesopt": "seed-bayesopt"}


@pytest.mark.parametrize("algorithm, scheduler", PAIRS)
def test_every_algorithm_with_every_scheduler(ray_local, storage, algorithm, scheduler):
    space = SPACE_FOR.get(algorithm, "quickstart")
    result = sweep(storage, f"{algorithm}-{scheduler}", space, search={"algorithm": algorithm}, scheduler={"name": scheduler})
    table = result.dataframe
    assert set(table.status) <= {"completed", "stopped_early"}, table[["status", "error"]]
    assert (table.status == "completed").any()
    assert all(math.isfinite(v) for v in table.best_val_accuracy)
    assert result.best["metrics"]["val_accuracy"] == table.best_val_accuracy.max()

    history = result.history  # written as results arrived: every trial, each epoch once
    assert set(history.trial_id) == set(table.trial_id)
    assert not history.duplicated(["trial_id", "epoch"]).any()
    assert history.groupby("trial_id").epoch.max().le(2).all()
    summary = json.loads((result.run_dir / "summary.json").read_text())
    assert summary["state"] == "finished" and summary["spec"]["search"]["algorithm"] == algorithm

    if algorithm == "grid" and scheduler != "pbt":  # exactly the (smoke-trimmed) grid, each point once
        configs = sorted(zip(table.hidden_units, table.learning_rate))
        assert configs == sorted(itertools.product([128, 256], [0.001, 0.01]))
    elif algorithm == "grid":  # PBT moves learning rates, within the grid's values
        assert len(table) == 4 and set(table.learning_rate) <= {0.001, 0.01}
    else:
        assert len(table) == 2
    if algorithm == "bayesopt":  # continuous suggestions reach trials as integers
        for params in result.run_dir.glob("*/params.json"):
            config = json.loads(params.read_text())
            assert isinstance(config["hidden_units"], int) and isinstance(config["batch_size"], int)
            assert 64 <= config["hidden_units"] <= 2048 and 16 <= config["batch_size"] <= 256


def seeded_draws(space_name: str, seed: int, count: int) -> list[dict]:
    """The configs Ray's generator draws for our random-search adapter, without running them."""
    from ray.tune.experiment import Experiment

    from experiments.algorithms import random
    from experiments.sections import SearchSpec
    from search_spaces import load_space

    generator, param_space = random.build(load_space(space_name), SearchSpec(seed=seed), "val_accuracy", "max")
    generator.add_configurations([Experiment("draws", lambda config: None, config=param_space, num_samples=count)])
    trials = [generator.next_trial() for _ in range(count)]
    return [{k: trial.config[k] for k in ("hidden_units", "learning_rate", "dropout")} for trial in trials]


def test_random_search_honours_its_seed(ray_local, storage):
    assert seeded_draws("quickstart", 7, 3) == seeded_draws("quickstart", 7, 3)
    assert seeded_draws("quickstart", 7, 3) != seeded_draws("quickstart", 8, 3)
    table = sweep(storage, "seeded", smoke=False, search={"algorithm": "random", "num_samples": 3, "seed": 7},
                  dataset={"limit": 200}, train={"max_epochs": 1}).dataframe
    ran = sorted(zip(table.hidden_units, table.learning_rate, table.dropout))
    assert ran == sorted(tuple(draw.values()) for draw in seeded_draws("quickstart", 7, 3))


def test_diverging_and_failing_trials_do_not_stop_the_sweep(ray_local, storage):
    space = {"learning_rate": {"grid": [1.0, 0.001]}, "hidden_units": {"grid": [16, 100_000_000]}}
    result = sweep(storage, "faults", space, smoke=False, search={"algorithm": "grid"},
                   dataset={"limit": 200}, train={"max_epochs": 2}, failure={"max_failures": 1})
    table = result.dataframe.set_index(["learning_rate", "hidden_units"])
    assert table.loc[(1.0, 16), "status"] == "diverged"
    assert table.loc[(1.0, 16), "epochs"] == 1  # stopped at once
    assert table.loc[(0.001, 16), "status"] == "completed"
    for rate in (1.0, 0.001):
        assert table.loc[(rate, 100_000_000), "status"] == "errored"
        assert table.loc[(rate, 100_000_000), "error"]
    counts = result.summary["status_counts"]
    assert counts == {"running": 0, "completed": 1, "stopped_early": 0, "diverged": 1, "errored": 2}
    assert result.best["config"] == {"learning_rate": 0.001, "hidden_units": 16}
