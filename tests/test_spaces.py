"""Spaces as data: parsing, Ray domains, BayesOpt's continuous encoding and decoding."""

import math

import pytest

from core.errors import InputError
from experiments.algorithms.bayesopt import boxes as bayesopt_boxes
from experiments.algorithms.bayesopt import decode as bayesopt_decode
from search_spaces import SpaceError, load_space, space_names


@pytest.mark.parametrize("name", space_names())
def test_shipped_spaces_load_and_convert(name):
    space = load_space(name)
    tune_space = space.to_tune()
    assert set(tune_space) == set(space.domains)


def test_domains_become_ray_domains():
    from ray.tune.search.sample import Categorical, Float, Integer

    space = load_space(
        {
            "hidden_units": {"qrandint": [16, 256, 16]},
            "learning_rate": {"loguniform": [1e-4, 1.0]},
            "l1": {"choice": [0, 0.01]},
            "optimizer": "adam",
        }
    ).to_tune()
    assert isinstance(space["hidden_units"], Integer)
    assert isinstance(space["learning_rate"], Float) and space["learning_rate"].lower == 1e-4
    assert isinstance(space["l1"], Categorical)
    assert space["optimizer"] == "adam"


def test_bayesopt_encoding_round_trips_integers_logs_and_choices():
    space = load_space(
        {
            "hidden_units": {"randint": [64, 2049]},
            "batch_size": {"qrandint": [16, 256, 16]},
            "learning_rate": {"loguniform": [1e-4, 1.0]},
            "optimizer": {"choice": ["adam", "sgd", "rmsprop"]},
        }
    )
    boxes = bayesopt_boxes(space)
    assert boxes["learning_rate"] == pytest.approx((math.log(1e-4), 0.0))
    decoded = bayesopt_decode(space, {"hidden_units": 1739.67, "batch_size": 41.0, "learning_rate": math.log(0.01), "optimizer": 2.7})
    assert decoded == {"hidden_units": 1739, "batch_size": 48, "learning_rate": pytest.approx(0.01), "optimizer": "rmsprop"}
    assert isinstance(decoded["hidden_units"], int) and isinstance(decoded["batch_size"], int)
    top = bayesopt_decode(space, {name: high for name, (low, high) in boxes.items()})
    assert top["hidden_units"] == 2048 and top["batch_size"] == 256 and top["optimizer"] == "rmsprop"
    bottom = bayesopt_decode(space, {name: low for name, (low, high) in boxes.items()})
    assert bottom["hidden_units"] == 64 and bottom["batch_size"] == 16 and bottom["optimizer"] == "adam"


def test_typed_turns_searcher_floats_into_the_domains_type():
    import numpy as np

    space = load_space({"hidden_units": {"qrandint": [16, 256, 16]}, "l1": {"choice": [0.0, 0.1]}})
    typed = space.typed({"hidden_units": 64.0, "l1": np.float64(0.1)})
    assert typed == {"hidden_units": 64, "l1": 0.1}
    assert type(typed["hidden_units"]) is int and type(typed["l1"]) is float


@pytest.mark.parametrize(
    "entry, message",
    [
        ({"uniform": [1.0, 1.0]}, "needs low < high"),
        ({"loguniform": [0.0, 1.0]}, "needs low > 0"),
        ({"qloguniform": [-1, 1.0, 0.1]}, "needs low > 0"),
        ({"grid": []}, "needs at least one value"),
        ({"choice": []}, "needs at least one value"),
        ({"unifrom": [0, 1]}, "did you mean 'uniform'"),
        ({"quniform": [0, 1]}, "takes [low, high, q]"),
        ({"randint": [1.5, 4]}, "takes whole numbers"),
        ([1, 2], "ambiguous"),
        ({"uniform": [0, 1], "choice": [1]}, "one domain"),
    ],
)
def test_bad_domains_name_the_hyperparameter(entry, message):
    with pytest.raises(SpaceError if "did you mean" not in message else InputError) as error:
        load_space({"l1": entry})
    assert str(error.value).startswith("space.l1: ")
    assert message in str(error.value)


def test_unknown_space_name_lists_the_valid_ones():
    with pytest.raises(InputError, match="unknown space 'seed-grdi' \\(did you mean 'seed-grid'\\?\\); valid: .*seed-random"):
        load_space("seed-grdi")


@pytest.mark.parametrize(
    "domain",
    [
        {"quniform": [0.0, 0.5, 0.1]},
        {"qloguniform": [0.1, 1.0, 0.1]},
        {"qrandint": [16, 256, 16]},
        {"qrandint": [1, 5, 1]},
        {"qrandint": [10, 100, 25]},
        {"qlograndint": [8, 512, 8]},
    ],
)
def test_bayesopt_decodes_onto_exactly_the_values_ray_draws(domain):
    """Every value BayesOpt can decode to is one Ray's own domain draws, and the other way round."""
    import numpy as np

    space = load_space({"x": domain})
    low, high = bayesopt_boxes(space)["x"]
    decoded = {bayesopt_decode(space, {"x": u})["x"] for u in np.linspace(low, high, 5001)}
    drawn = set(space.domains["x"].to_tune().sample(size=5000, random_state=np.random.default_rng(0)))
    assert decoded == drawn


def test_a_quantized_float_with_bounds_off_its_grid_is_refused_as_ray_would():
    with pytest.raises(SpaceError, match=r"^space\.dropout: quniform needs low and high that are multiples of q"):
        load_space({"dropout": {"quniform": [0.05, 0.5, 0.1]}})
