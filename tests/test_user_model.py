"""A user's own model, ``module:function``: imported from the current folder, checked before Ray starts,
and every way it can be wrong refused in one line that names it."""

from __future__ import annotations

import textwrap
import uuid

import pytest

from core.errors import InputError
from experiments.spec import load_spec
from experiments.user_model import resolve_model
from trainables.data import prepare
from trainables.models import builder

MODELS = textwrap.dedent(
    """
    import keras

    def good(hp, input_shape, num_classes):
        inputs = keras.Input(shape=input_shape)
        x = keras.layers.Conv2D(hp["filters"], 3, activation="relu")(inputs)
        x = keras.layers.Flatten()(x)
        return keras.Model(inputs, keras.layers.Dense(num_classes, activation="softmax")(x))

    def optional_width(hp, input_shape, num_classes):
        inputs = keras.Input(shape=input_shape)
        x = keras.layers.Dense(hp.get("width", 8), activation="relu")(keras.layers.Flatten()(inputs))
        return keras.Model(inputs, keras.layers.Dense(num_classes, activation="softmax")(x))

    def two_arguments(hp, input_shape):
        pass

    def three_classes(hp, input_shape, num_classes):
        inputs = keras.Input(shape=input_shape)
        return keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(keras.layers.Flatten()(inputs)))

    def logits(hp, input_shape, num_classes):
        inputs = keras.Input(shape=input_shape)
        return keras.Model(inputs, keras.layers.Dense(num_classes)(keras.layers.Flatten()(inputs)))

    def compiled(hp, input_shape, num_classes):
        model = good(hp, input_shape, num_classes)
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        return model

    def not_a_model(hp, input_shape, num_classes):
        return "a model"

    def wrong_input(hp, input_shape, num_classes):
        inputs = keras.Input(shape=(5, 5, 3))
        return keras.Model(inputs, keras.layers.Dense(num_classes, activation="softmax")(keras.layers.Flatten()(inputs)))
    """
)


@pytest.fixture
def module(tmp_path, monkeypatch) -> str:
    """A user's models module in a folder of its own, found as the current folder (a fresh name each test)."""
    name = f"usermodels_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{name}.py").write_text(MODELS)
    monkeypatch.chdir(tmp_path)
    return name


@pytest.fixture(scope="module")
def digits():
    return prepare("digits", limit=100, seed=0)


def spec_for(model: str, space: dict | None = None):
    return load_spec({"name": "user", "model": model, "space": space or {"filters": {"choice": [4, 8]}}})


def test_a_model_in_the_current_folder_builds_and_reports_the_declared_names_it_did_not_read(module, digits):
    spec = spec_for(f"{module}:good", {"filters": {"choice": [4, 8]}, "hidden_units": 64, "fliters": 3})
    model, unread = resolve_model(spec, digits)
    assert model.reference == f"{module}:good"
    assert unread == [f"space.{name}: {module}:good did not read it when built for the space's first values" for name in ("fliters", "hidden_units")]


def test_a_model_may_read_an_undeclared_name_with_a_default_of_its_own(module, digits):
    resolve_model(spec_for(f"{module}:optional_width", {"learning_rate": 0.01}), digits)


@pytest.mark.parametrize(
    "function, space, expected",
    [
        ("good", {"learning_rate": 0.01}, "reads hyperparameter 'filters', which the space does not declare"),
        ("two_arguments", None, "must take (hp, input_shape, num_classes); it takes (hp, input_shape)"),
        ("three_classes", None, "outputs shape (3,) per image; the dataset has 10 classes"),
        ("logits", None, "outputs are not class probabilities; end with a softmax"),
        ("compiled", None, "returned a compiled model; return it uncompiled"),
        ("not_a_model", None, "must return a keras.Model, it returned str"),
        ("wrong_input", None, "fails on this dataset's images of shape (8, 8, 1)"),
        ("missing", None, "has no function 'missing'"),
    ],
)
def test_a_wrong_model_is_refused_in_one_line_naming_it(function, space, expected, module, digits):
    with pytest.raises(InputError) as refused:
        resolve_model(spec_for(f"{module}:{function}", space), digits)
    message = str(refused.value)
    assert message.startswith("model: ") and expected in message and "\n" not in message


def test_a_module_that_does_not_import_is_refused_saying_where_it_is_looked_for(tmp_path, monkeypatch):
    (tmp_path / "broken_models.py").write_text("import not_installed_anywhere\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError, match=r"model: cannot import 'broken_models' \(ModuleNotFoundError: No module named "
                       r"'not_installed_anywhere'\); run from the folder that holds it, or add that folder to PYTHONPATH"):
        builder("broken_models:build")


@pytest.mark.parametrize("model", ["my models:build", "models:", ":build", "a.b:1x"])
def test_a_model_that_is_neither_shipped_nor_module_function_is_refused_by_the_spec(model):
    with pytest.raises(InputError, match=r"^model: write a shipped model \(lenet5, seed-cnn\) or module:function"):
        spec_for(model)


def test_a_shipped_model_still_refuses_names_it_does_not_know():
    with pytest.raises(InputError, match=r"space.filters: unknown hyperparameter 'filters'"):
        load_spec({"name": "ours", "space": {"filters": {"choice": [4, 8]}}})


def test_the_model_a_trial_gets_builds_after_unpickling_in_a_fresh_process(module, digits, tmp_path):
    """The pickled function carries its module's code: a process that cannot import the module builds it."""
    import pickle
    import subprocess
    import sys

    model, _ = resolve_model(spec_for(f"{module}:good"), digits)
    (tmp_path / "model.pkl").write_bytes(pickle.dumps(model))
    script = (
        "import pickle, sys; from trainables.hyperparameters import Hyperparameters, ModelHyperparameters\n"
        f"assert '{module}' not in sys.modules\n"
        "model = pickle.load(open(sys.argv[1], 'rb'))(ModelHyperparameters(Hyperparameters(filters=4)), (8, 8, 1), 10)\n"
        "print(model.output_shape)\n"
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path / "model.pkl")], cwd=elsewhere,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "(None, 10)"


NOTEBOOK = textwrap.dedent(
    """
    import json, sys
    import keras
    from sklearn.datasets import load_digits
    import experiments

    def build(hp, input_shape, num_classes):  # defined here, as in a notebook's cell: no module to import
        inputs = keras.Input(shape=input_shape)
        x = keras.layers.Dense(hp["width"], activation="relu")(keras.layers.Flatten()(inputs))
        return keras.Model(inputs, keras.layers.Dense(num_classes, activation="softmax")(x))

    digits = load_digits()
    x, y = digits.images / 16.0, digits.target  # floats in [0, 1], (N, 8, 8): a channel is added
    result = experiments.run(
        {"name": "arrays", "space": {"width": {"grid": [8, 16]}, "learning_rate": 0.01}},
        model=build, data=((x[:1500], y[:1500]), (x[1500:], y[1500:])), storage=sys.argv[1], verbose=0,
        dataset={"test": "arrays:test"}, search={"num_samples": 1}, train={"max_epochs": 2}, final={"enabled": True, "epochs": 1},
    )
    print(json.dumps({"widths": sorted(result.dataframe.width.tolist()), "final": result.final,
                      "model": result.summary["spec"]["model"], "dataset": result.summary["spec"]["dataset"]["name"]}))
    """
)


@pytest.mark.slow
def test_a_notebook_tunes_its_own_function_on_its_own_arrays_and_scores_on_its_test_arrays(tmp_path):
    import json
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", NOTEBOOK, str(tmp_path)], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["widths"] == [8, 16] and out["model"] == "__main__:build" and out["dataset"] == "arrays"
    assert out["final"]["test_images"] == 297 and out["final"]["train_images"] == 1500
    assert 0.3 < out["final"]["test_accuracy"] <= 1
