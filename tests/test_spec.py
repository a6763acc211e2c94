"""Experiment specs: every bad input is one line naming the field; good specs fill defaults."""

import pytest

import experiments
from experiments.spec import experiment_names, load_spec
from core.errors import InputError

BASE = {"name": "t", "space": "quickstart"}


def error_of(spec=None, **overrides):
    with pytest.raises(InputError) as raised:
        load_spec({**BASE, **(spec or {})}, overrides)
    message = str(raised.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize("name", experiment_names())
def test_shipped_experiments_validate(name):
    spec = experiments.validate(name)
    assert spec.name == name
    assert spec.smoke().train.max_epochs <= 2


def test_defaults_are_filled_and_mode_follows_the_metric():
    spec = load_spec(BASE)
    assert spec.search.algorithm == "random" and spec.scheduler.name == "fifo"
    assert spec.objective_mode == "max"
    assert load_spec({**BASE, "metric": "val_loss"}).objective_mode == "min"


@pytest.mark.parametrize(
    "spec, field, words",
    [
        ({"schedular": {"name": "asha"}}, "schedular", "did you mean 'scheduler'"),
        ({"train": {"max_epoch": 3}}, "train.max_epoch", "did you mean 'max_epochs'"),
        ({"scheduler": {"name": "asha", "grace": 1}}, "scheduler.grace", "unknown key"),
        ({"search": {"algorithm": "bayesopt", "random_start": 2}}, "search.random_start", "did you mean 'random_starts'"),
        ({"dataset": {"name": "mnsit"}}, "dataset.name", "unknown dataset 'mnsit' (did you mean 'mnist'?); valid: arrays, digits, folder, idx, mnist, mnist-5k, npz"),
        ({"model": "lenet"}, "model", "valid: lenet5, seed-cnn"),
        ({"search": {"algorithm": "tpe"}}, "search.algorithm", "valid: auto, bayesopt, bohb, grid, hyperopt, optuna, random"),
        ({"scheduler": {"name": "asha2"}}, "scheduler.name", "valid: asha, auto, bohb, fifo, hyperband, median, pbt"),
        ({"space": "nope"}, "space", "unknown space 'nope'"),
        ({"space": {"hiden_units": 3}}, "space.hiden_units", "did you mean 'hidden_units'"),
        ({"space": {"dropout": {"uniform": [0.0, 1.5]}}}, "space.dropout", "less than 1"),
        ({"space": {"hidden_units": {"uniform": [8, 64]}}}, "space.hidden_units", "whole numbers"),
        ({"space": {"optimizer": {"choice": ["adam", "adamw"]}}}, "space.optimizer", "'adam', 'sgd' or 'rmsprop'"),
        ({"space": {"learning_rate": {"uniform": [0.1, 0.01]}}}, "space.learning_rate", "low < high"),
        ({"space": {"learning_rate": {"loguniform": [0, 0.1]}}}, "space.learning_rate", "low > 0"),
        ({"space": {"l1": {"grid": []}}}, "space.l1", "at least one value"),
        ({"space": {"l1": {"choice": []}}}, "space.l1", "at least one value"),
        ({"search": {"algorithm": "grid"}}, "search.algorithm", "grid needs every searched hyperparameter"),
        ({"space": "seed-grid", "search": {"algorithm": "bayesopt"}}, "search.algorithm", "cannot enumerate a grid"),
        ({"space": "seed-grid", "search": {"algorithm": "optuna"}}, "search.algorithm", "cannot enumerate a grid"),
        ({"mode": "max"}, "mode", "unknown key"),  # the metric says its direction; no key can contradict it
        ({"metric": "val_acc"}, "metric", "unknown metric 'val_acc'"),
        ({"search": {"num_samples": 0}}, "search.num_samples", "greater than 0"),
        ({"train": {"max_epochs": -1}}, "train.max_epochs", "greater than 0"),
        ({"resources": {"cpu": 0}}, "resources.cpu", "write auto or a number of CPUs per trial above 0"),
        ({"resources": {"cpu": "fast"}}, "resources.cpu", "write auto or a number of CPUs per trial above 0 (0.5 allowed), got 'fast'"),
        ({"resources": {"cpu": True}}, "resources.cpu", "write auto or a number"),
        ({"resources": {"gpu": -1}}, "resources.gpu", "greater than or equal to 0"),
        ({"resources": {"gpu": 1.5}}, "resources.gpu", "must be whole"),
        ({"search": {"algorithm": "hyperopt"}, "scheduler": {"name": "pbt"}}, "scheduler.name", "only with grid or random"),
        ({"space": {"hidden_units": {"choice": [64, 128]}}, "scheduler": {"name": "pbt"}}, "scheduler.name", "pbt needs"),
        ({"scheduler": {"name": "asha", "grace_period": 20}}, "scheduler.grace_period", "beyond train.max_epochs"),
        ({"dataset": {"test": "mnist"}}, "dataset.test", "DATASET:SPLIT"),
        ({"name": "has space"}, "name", "should match pattern"),
    ],
)
def test_bad_spec_errors_name_the_field(spec, field, words):
    message = error_of(spec)
    assert message.startswith(f"{field}: "), message
    assert words in message, message


def test_overrides_reach_nested_keys_and_open_named_spaces():
    spec = load_spec("quickstart", {"search.num_samples": 3, "space.learning_rate": {"loguniform": [1e-3, 1e-1]}})
    assert spec.search.num_samples == 3
    assert spec.search_space.domains["learning_rate"].high == 0.1
    assert "hidden_units" in spec.search_space.domains  # the rest of the named space is kept


def test_python_api_overrides_are_nested_mappings():
    spec = experiments.validate("quickstart", search={"num_samples": 5}, train={"max_epochs": 2})
    assert spec.search.num_samples == 5 and spec.train.max_epochs == 2


def test_smoke_shrinks_data_epochs_samples_and_grids():
    spec = load_spec({**BASE, "space": "seed-grid", "search": {"algorithm": "grid", "num_samples": 3}})
    smoke = spec.smoke()
    assert smoke.name == "t-smoke"
    assert smoke.dataset.limit == 256 and smoke.train.max_epochs == 2
    assert smoke.search.num_samples == 1
    assert smoke.search_space.grid_size() == 2


def test_malformed_yaml_is_one_line(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("name: x\nsearch: {algorithm: random\n")
    with pytest.raises(InputError) as raised:
        load_spec(str(path))
    assert str(raised.value).startswith("experiment: malformed YAML in") and "line" in str(raised.value)


def test_yaml_is_never_evaluated(tmp_path):
    path = tmp_path / "evil.yaml"
    path.write_text(f"name: !!python/object/apply:os.system ['touch {tmp_path}/pwned']\nspace: quickstart\n")
    with pytest.raises(InputError):
        load_spec(str(path))
    assert not (tmp_path / "pwned").exists()


def test_switching_scheduler_or_algorithm_drops_the_old_ones_options():
    spec = load_spec("quickstart", {"scheduler.name": "fifo", "search.algorithm": "bayesopt"})
    assert spec.scheduler.name == "fifo" and spec.search.algorithm == "bayesopt"
    assert spec.search.num_samples == 8  # common search settings are kept
    spec = load_spec("quickstart", {"scheduler.name": "median", "scheduler.grace_period": 2})
    assert spec.scheduler.grace_period == 2


def test_restore_best_weights_is_gone_with_its_weight_copy():
    """It changed nothing anyone could read (trial weights are never exported), so it is an unknown key now."""
    assert "early_stopping.restore_best_weights: unknown key" in error_of(
        {"train": {"early_stopping": {"restore_best_weights": True}}}
    )
