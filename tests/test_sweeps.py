"""End-to-end sweeps through real Ray and real Keras, on a few hundred real images.

The contract test is parametrized over the registries and the shipped experiments:
a new search algorithm, scheduler or experiment is tested by being registered.
"""

import json
import math
from collections import Counter

import numpy as np
import pytest

import experiments
from experiments.algorithms import ALGORITHMS, algorithm
from experiments.tuner import prepare_data
from experiments.schedulers import SCHEDULERS
from experiments.schedulers import scheduler as scheduler_named
from experiments.spec import experiment_names, pair_refusal
from test_checkpoints import checkpointed, trained

pytestmark = pytest.mark.slow

PAIRS = [
    (algorithm, scheduler)
    for algorithm in ALGORITHMS.names()
    for scheduler in SCHEDULERS.names()
    if pair_refusal(algorithm, scheduler) is None
]
SPACE_FOR = {"grid": "seed-grid", "bayesopt": "seed-bayesopt"}


def pair_of(experiment: str) -> tuple[str, str]:
    spec = experiments.validate(experiment)
    return spec.search.algorithm, spec.scheduler.name


def covered(pairs) -> set[tuple]:
    """What a set of sweeps exercises: each algorithm, and each scheduler both with a model-based
    searcher (which learns from what the scheduler lets it see, pauses included) and with another."""
    return {("algorithm", a) for a, _ in pairs} | {("scheduler", s, algorithm(a).model_based) for a, s in pairs}


def covering(shipped: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The registered pairs to add to the shipped experiments until everything ``covered`` names runs:
    greedily, the pair adding the most, ties to the algorithm used least so far."""
    chosen, added = list(shipped), []
    while True:
        done = covered(chosen)
        gain = {pair: len(covered([pair]) - done) for pair in PAIRS if pair not in chosen}
        uses = Counter(a for a, _ in chosen)
        best = max(gain, key=lambda pair: (gain[pair], -uses[pair[0]]), default=None)
        if best is None or gain[best] == 0:
            return added
        chosen.append(best)
        added.append(best)


# Every shipped experiment, then the registered pairs that cover what those leave out:
# each runs once in smoke mode, and every run is held to the same contract.
SHIPPED = {name: pair_of(name) for name in experiment_names()}
CASES = [pytest.param(name, *pair, id=name) for name, pair in SHIPPED.items()] + [
    pytest.param(None, *pair, id=f"{pair[0]}-{pair[1]}") for pair in covering(list(SHIPPED.values()))
]


def test_the_sweeps_cover_every_algorithm_and_scheduler_with_and_without_a_model():
    ran = [(case.values[1], case.values[2]) for case in CASES]
    assert covered(ran) == covered(PAIRS)
    assert set(ALGORITHMS.names()) == {a for a, _ in ran} and set(SCHEDULERS.names()) == {s for _, s in ran}


def sweep(storage, name, space="quickstart", smoke=True, **spec):
    return experiments.run({"name": name, "space": space, **spec}, smoke=smoke, storage=storage, verbose=0)


@pytest.fixture(scope="module")
def colour_digits(tmp_path_factory) -> str:
    """The shipped folder example's images, as its README says to make them (30 of each digit)."""
    from examples.colour_digits.make_data import write

    return str(write(tmp_path_factory.mktemp("colour-digits"), per_class=30))


@pytest.mark.parametrize("experiment, algorithm, scheduler", CASES)
def test_smoke_sweep(ray_local, storage, experiment, algorithm, scheduler, request):
    if experiment:
        on_files = experiments.validate(experiment).dataset.name == "folder"
        overrides = {"dataset": {"path": request.getfixturevalue("colour_digits")}} if on_files else {}
        result = experiments.run(experiment, smoke=True, storage=storage, verbose=0, **overrides)
        spec = experiments.validate(experiment).smoke()
    else:
        spec = experiments.validate(
            {"name": f"{algorithm}-{scheduler}", "space": SPACE_FOR.get(algorithm, "quickstart"),
             "search": {"algorithm": algorithm}, "scheduler": {"name": scheduler}}
        )
        result = experiments.run(spec, storage=storage, verbose=0, smoke=True)
        spec = spec.smoke()
    check_contract(result, algorithm, scheduler)
    check_checkpoints(result, spec)
    assert (result.run_dir / "history.png").stat().st_size > 10_000
    if spec.dataset.folds > 1:  # k folds in lockstep: each epoch reports their mean and spread
        assert np.isfinite(result.history.val_accuracy_std).all()
    if spec.final.enabled:
        check_final(result, spec)
    else:
        assert result.final is None


def check_contract(result, algorithm, scheduler):
    table = result.dataframe
    assert set(table.status) <= {"completed", "stopped_early"}, table[["status", "error"]]
    assert (table.status == "completed").any()
    assert all(math.isfinite(v) for v in table[f"best_{result.summary['metric']}"])
    best = table[f"best_{result.summary['metric']}"]
    assert result.best["metrics"][result.summary["metric"]] == (best.max() if result.summary["mode"] == "max" else best.min())

    history = result.history  # written as results arrived: every trial, each trained epoch once
    assert set(history.trial_id) == set(table.trial_id)
    lineage = history.restored_from.notna().groupby(history.trial_id).cumsum()  # PBT: a donor's weights
    assert not history.assign(lineage=lineage).duplicated(["trial_id", "lineage", "epoch"]).any()
    assert history.groupby("trial_id").epoch.max().le(2).all()
    summary = json.loads((result.run_dir / "summary.json").read_text())
    assert summary["state"] == "finished" and summary["spec"]["search"]["algorithm"] == algorithm

    assert len(table) == 2
    if algorithm == "grid":  # exactly the (smoke-trimmed) grid, each point once
        assert sorted(table.hidden_units) == [128, 256]
        assert set(table.learning_rate) == {0.001}  # PBT too: it only picks from the grid's values
    if algorithm == "bayesopt":  # continuous suggestions reach trials as integers
        trial_params = list(result.run_dir.glob("*/params.json"))
        assert len(trial_params) >= len(table)
        for params in trial_params:
            config = json.loads(params.read_text())
            assert isinstance(config["hidden_units"], int) and isinstance(config["batch_size"], int)
            assert 64 <= config["hidden_units"] <= 2048 and 16 <= config["batch_size"] <= 256


def check_checkpoints(result, spec):
    """Each trial checkpointed where its scheduler may pause it or hand its weights on, and nowhere else:
    smoke trials last seconds, so none is due for failures (``checkpoint.interval_s``)."""
    chosen = scheduler_named(spec.scheduler.name)
    due = chosen.checkpoint_epochs(spec.scheduler_context())
    on_disk, reported = checkpointed(result.run_dir), trained(result.run_dir)
    assert set(on_disk) == set(reported)
    for trial_id, epochs in reported.items():
        if chosen.keeps_every_checkpoint:  # PBT: a trial that took a donor's weights may have fewer folders
            assert on_disk[trial_id] <= due & epochs, trial_id
        else:
            assert on_disk[trial_id] == due & epochs, trial_id


def check_final(result, spec):
    """The saved model loads and scores exactly what final.json reports, on the unseen test split."""
    import keras

    final = result.final
    assert final["config"] == result.best["config"] and final["epochs"] == result.best["epoch"]
    data = prepare_data(spec)
    model = keras.models.load_model(result.run_dir / "best_model.keras")
    loss, accuracy = model.evaluate(data.test.x, data.test.y, verbose=0)
    assert accuracy == pytest.approx(final["test_accuracy"], abs=1e-6)
    assert final["test_images"] == len(data.test.y) and final["train_images"] == len(data.pool.y)
    assert math.isfinite(final["test_loss"]) and len(final["history"]) == final["epochs"]


def seeded_draws(space_name: str, seed: int, count: int) -> list[dict]:
    """The configs Ray's generator draws for our random-search adapter, without running them."""
    from ray.tune.experiment import Experiment

    from experiments.algorithms.contract import SearchContext
    from experiments.sections import SearchSpec
    from search_spaces import load_space

    context = SearchContext(load_space(space_name), SearchSpec(seed=seed), "val_accuracy", "max")
    generator, param_space = algorithm("random").build(context)
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
