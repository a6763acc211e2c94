"""The training loop itself, with real Keras on a few hundred real images; real Ray only in the
one test of what a trial reports through Tune."""

import math
import subprocess
import sys

import numpy as np
import pytest

from core.metrics import REPORTED_METRICS, metric_mode, running_best
from trainables import backend
from trainables.cnn import CnnTrial, TrainSettings, fit_final
from trainables.trainable import train_cnn
from trainables.data import Images, prepare
from trainables.hyperparameters import Hyperparameters
from trainables.pipeline import Pipelines
from trainables.training import EarlyStopping


@pytest.fixture(scope="module", autouse=True)
def _configured():
    """Keras configured when this module's first test runs, not when pytest collects it: importing
    TensorFlow at collection cost every xdist worker about 8 s, the slow tier's included."""
    backend.configure(cpus=2, gpus=0)


@pytest.fixture(scope="module")
def data():
    return prepare("mnist-5k", limit=300, seed=0)


def weights(trial):
    return [w for fold in trial.folds for w in fold.model.get_weights()]


def test_checkpoint_restore_resumes_at_the_next_epoch_with_the_same_weights(data, tmp_path):
    settings = TrainSettings(max_epochs=3)
    hp = Hyperparameters(hidden_units=32, optimizer="adam")
    trial = CnnTrial(hp, data, settings)
    first = trial.run_epoch()
    assert first["epoch"] == 1
    trial.save(tmp_path)

    restored = CnnTrial(hp, data, settings)
    restored.restore(tmp_path)
    assert restored.epoch == 1
    assert all(np.array_equal(a, b) for a, b in zip(weights(trial), weights(restored)))
    optimizer_state = [np.asarray(v) for v in trial.folds[0].model.optimizer.variables]
    assert all(np.array_equal(a, np.asarray(b)) for a, b in zip(optimizer_state, restored.folds[0].model.optimizer.variables))
    # the same data order from here on is not promised, but the next epoch number is
    assert restored.run_epoch()["epoch"] == 2


def test_running_best_survives_checkpoint_and_restore(data, tmp_path):
    settings = TrainSettings(max_epochs=3)
    hp = Hyperparameters(hidden_units=16)
    trial = CnnTrial(hp, data, settings)
    first = trial.run_epoch()
    trial.save(tmp_path)
    restored = CnnTrial(hp, data, settings)
    restored.restore(tmp_path)
    assert restored.running_best.best == {name: first[name] for name in REPORTED_METRICS}
    second = restored.run_epoch()
    for name in REPORTED_METRICS:
        best = (max if metric_mode(name) == "max" else min)(first[name], second[name])
        assert second[running_best(name)] == best, name


def test_reported_best_is_the_running_max_or_min_of_the_epochs(data):
    # with this learning rate the validation curve peaks at epoch 3 and falls at epoch 4
    trial = CnnTrial(Hyperparameters(hidden_units=16, learning_rate=0.01, batch_size=16), data, TrainSettings(max_epochs=4))
    reports = [trial.run_epoch() for _ in range(4)]
    fell = False
    for name in REPORTED_METRICS:
        pick = np.maximum if metric_mode(name) == "max" else np.minimum
        values = [report[name] for report in reports]
        running = pick.accumulate(values).tolist()
        assert [report[running_best(name)] for report in reports] == running, name
        fell = fell or running != values
    assert fell, "every curve improved every epoch: the running best was not put to the test"


def test_reported_metrics_are_finite_and_complete(data):
    metrics = CnnTrial(Hyperparameters(hidden_units=16), data, TrainSettings(max_epochs=1)).run_epoch()
    for name in ("loss", "accuracy", "val_loss", "val_accuracy", "lr"):
        assert math.isfinite(metrics[name])
    assert metrics["diverged"] is False and metrics["early_stopped"] is False


def test_k_fold_reports_the_mean_of_its_folds():
    folds = prepare("digits", folds=3, limit=240, seed=0)
    trial = CnnTrial(Hyperparameters(hidden_units=16), folds, TrainSettings(model="lenet5", max_epochs=1))
    assert len(trial.folds) == 3
    metrics = trial.run_epoch()
    per_fold = [fold.evaluate()["accuracy"] for fold in trial.folds]
    assert metrics["val_accuracy"] == pytest.approx(np.mean(per_fold), abs=1e-6)
    assert metrics["val_accuracy_std"] == pytest.approx(np.std(per_fold), abs=1e-6)


def test_learning_rate_of_one_is_marked_diverged_and_reports_chance_level(data):
    trial = CnnTrial(Hyperparameters(learning_rate=1.0), data, TrainSettings(max_epochs=5))
    metrics = trial.run_epoch()
    assert metrics["diverged"] is True and trial.finished
    chance = {"accuracy": 0.1, "val_accuracy": 0.1, "loss": math.log(10), "val_loss": math.log(10)}
    for name, value in chance.items():
        assert metrics[name] == pytest.approx(value) and metrics[running_best(name)] == pytest.approx(value), name


def test_early_stopping_stops_after_patience_epochs_without_improvement(data):
    rule = EarlyStopping(monitor="val_accuracy", patience=1)
    # a learning rate this small barely moves accuracy: the rule fires within a few epochs
    trial = CnnTrial(Hyperparameters(hidden_units=8, learning_rate=1e-6), data, TrainSettings(max_epochs=10, early_stopping=rule))
    while not trial.finished:
        last = trial.run_epoch()
    assert last["early_stopped"] is True and last["epoch"] < 10
    assert last["epoch"] == trial.early_stopping.best_epoch + rule.patience


def test_checkpoint_holds_one_set_of_weights_with_early_stopping(data, tmp_path):
    rule = EarlyStopping(monitor="val_loss", patience=2)
    trial = CnnTrial(Hyperparameters(hidden_units=16), data, TrainSettings(max_epochs=3, early_stopping=rule))
    trial.run_epoch()  # the first epoch is always an improvement
    trial.save(tmp_path)
    with np.load(tmp_path / "fold_0.npz") as arrays:
        kinds = {key.rsplit("_", 1)[0] for key in arrays}
        assert sum(key.startswith("weights_") for key in arrays) == len(trial.folds[0].model.get_weights())
    assert kinds == {"weights", "optimizer"}


def test_folds_read_the_shared_pool_without_copying_it(monkeypatch):
    data = prepare("digits", folds=2, limit=120, seed=0)

    def copied(*args):
        raise AssertionError("a fold copied the pool's images")

    monkeypatch.setattr(Images, "take", copied)
    monkeypatch.setattr(Images, "x", property(copied))
    trial = CnnTrial(Hyperparameters(hidden_units=8), data, TrainSettings(model="lenet5", max_epochs=1))
    assert math.isfinite(trial.run_epoch()["val_loss"])


def test_a_new_or_restored_trial_scores_nothing_before_its_first_epoch(data, tmp_path, monkeypatch):
    import keras

    scored = []
    evaluate = keras.Model.evaluate

    def counted(model, *args, **kwargs):
        scored.append(model)
        return evaluate(model, *args, **kwargs)

    monkeypatch.setattr(keras.Model, "evaluate", counted)
    hp, settings = Hyperparameters(hidden_units=8), TrainSettings(max_epochs=2)
    trial = CnnTrial(hp, data, settings)
    assert scored == []
    trial.run_epoch()
    assert len(scored) == len(trial.folds)  # one validation pass per fold and epoch
    trial.save(tmp_path)
    scored.clear()
    CnnTrial(hp, data, settings).restore(tmp_path)
    assert scored == []


def test_strong_regularisation_alone_is_not_divergence(data):
    trial = CnnTrial(Hyperparameters(hidden_units=16, l1=0.1), data, TrainSettings(max_epochs=1))
    assert trial.divergence.baseline > 10 * math.log(10)  # the L1 penalty on the initial weights dwarfs chance level
    assert trial.run_epoch()["diverged"] is False


def test_input_pipelines_run_on_the_trials_cpus(data):
    trial = CnnTrial(Hyperparameters(hidden_units=8), data, TrainSettings(cpus=3))
    for fold in trial.folds:
        for inputs in (fold.train, fold.val):
            threading = inputs["x"].options().threading
            assert threading.private_threadpool_size == 3 and threading.max_intra_op_parallelism == 1


def test_without_tensorflow_folds_train_on_plain_arrays(data, monkeypatch):
    import keras

    monkeypatch.setattr(keras.backend, "backend", lambda: "jax")  # as trainables see JAX; Keras itself still runs TF
    trial = CnnTrial(Hyperparameters(hidden_units=8), data, TrainSettings(max_epochs=1))
    train = trial.folds[0].train
    assert train["x"].dtype == np.float32 and train["shuffle"] is True
    assert math.isfinite(trial.run_epoch()["val_loss"])


def test_pipeline_scales_the_images_and_reshuffles_them_every_epoch_by_seed(data):
    index = data.folds[0][1]
    images, labels = zip(*Pipelines(data.pool, cpus=1, seed=0).evaluation(index, batch_size=16)["x"])
    assert np.array_equal(np.concatenate(images), data.pool.take(index).x)
    assert np.array_equal(np.concatenate(labels), data.pool.y[index])

    def orders(seed):
        epochs = Pipelines(data.pool, cpus=1, seed=seed).training(index, batch_size=16)["x"]
        return [np.concatenate([labels for _, labels in epochs]).tolist() for _ in range(2)]

    first, second = orders(seed=0)
    assert first != second and sorted(first) == sorted(second) == sorted(data.pool.y[index].tolist())
    assert orders(seed=0) == [first, second] and orders(seed=1)[0] != first


def test_later_epochs_reuse_the_traced_train_and_test_steps(data):
    trial = CnnTrial(Hyperparameters(hidden_units=8), data, TrainSettings(max_epochs=3))
    model, traced = trial.folds[0].model, []
    assert not model.run_eagerly, "this trial's steps are many enough to be traced"
    for name in ("train_step", "test_step"):
        step = getattr(model, name)

        def counted(batch, step=step, name=name):  # Python runs only while TensorFlow traces the step
            traced.append(name)
            return step(batch)

        setattr(model, name, counted)
    trial.run_epoch()
    first = len(traced)
    trial.run_epoch()
    trial.run_epoch()
    assert first > 0 and len(traced) == first


def counted_train_steps(trial) -> list[int]:
    """Calls of the first fold's Python train step: one per step eagerly, only while tracing otherwise."""
    model, calls = trial.folds[0].model, []
    step = model.train_step

    def counted(batch):
        calls.append(1)
        return step(batch)

    model.train_step = counted
    return calls


def test_a_trial_too_short_to_pay_for_tracing_runs_every_step_eagerly(data):
    hp = Hyperparameters(hidden_units=8, batch_size=64)
    steps_per_epoch = math.ceil(len(data.folds[0][0]) / hp.batch_size)
    eager = CnnTrial(hp, data, TrainSettings(max_epochs=backend.EAGER_STEPS // steps_per_epoch))
    traced = CnnTrial(hp, data, TrainSettings(max_epochs=backend.EAGER_STEPS // steps_per_epoch + 1))
    eager_calls, traced_calls = counted_train_steps(eager), counted_train_steps(traced)
    for _ in range(2):
        eager.run_epoch()
        traced.run_epoch()
    assert len(eager_calls) == 2 * steps_per_epoch
    assert len(traced_calls) <= 2  # a trace, and a second one for the smaller last batch


def test_a_trial_learns_the_same_run_eagerly_or_traced(data, monkeypatch):
    def epochs(eagerly: bool) -> list[dict]:
        monkeypatch.setattr(backend, "EAGER_STEPS", 10**6 if eagerly else 0)
        trial = CnnTrial(Hyperparameters(hidden_units=16, dropout=0.3), data, TrainSettings(max_epochs=2))
        assert trial.folds[0].model.run_eagerly == eagerly
        return [trial.run_epoch() for _ in range(2)]

    eager, traced = epochs(eagerly=True), epochs(eagerly=False)
    for name in REPORTED_METRICS:
        assert [e[name] for e in eager] == pytest.approx([t[name] for t in traced], rel=1e-4), name


def test_a_trial_reports_the_same_whatever_trials_its_process_ran_before(data):
    """Ray reuses a trial's process for the next trial: what a trial learns must not depend on it."""
    settings = TrainSettings(max_epochs=2)
    wanted = Hyperparameters(hidden_units=16, dropout=0.3, learning_rate=3e-3)

    def epochs(hp):
        trial = CnnTrial(hp, data, settings)
        return [trial.run_epoch() for _ in range(settings.max_epochs)]

    first = epochs(wanted)
    epochs(Hyperparameters(hidden_units=24, dropout=0.1, batch_size=16, augmentation=0.1))
    assert epochs(wanted) == first


def test_final_model_scores_on_plain_float_images_what_fit_final_reports(tmp_path):
    import keras

    data = prepare("digits", limit=200, test=0.25, seed=0)
    final = fit_final({"hidden_units": 8}, data, TrainSettings(model="lenet5", cpus=2), epochs=2)
    (tmp_path / "model.keras").write_bytes(final["model"])
    _, accuracy = keras.models.load_model(tmp_path / "model.keras").evaluate(data.test.x, data.test.y, verbose=0)
    assert accuracy == pytest.approx(final["test_accuracy"], abs=1e-6) and len(final["history"]) == 2


def test_a_trial_asking_for_a_gpu_on_a_machine_without_one_warns():
    assert "GPU" not in backend.devices(0)  # this process was configured without GPUs (CPU machines have none)
    with pytest.warns(backend.NoGpuWarning, match=r"asked for 1 GPU but tensorflow sees only CPU:0"):
        assert backend.devices(1) == "CPU:0"


@pytest.mark.slow
def test_a_trial_worker_loads_keras_without_its_sklearn_and_matplotlib_extras_and_can_import_them_after():
    probe = (
        "import sys; from trainables import backend; backend.configure(1, 0, trial_worker=True); import keras\n"
        "loaded = sorted({name.partition('.')[0] for name in sys.modules} & {'sklearn', 'matplotlib'})\n"
        "keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)]).predict(keras.ops.ones((1, 4)), verbose=0)\n"
        "import sklearn.base, matplotlib.pyplot; print(loaded)"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.slow
def test_a_cpu_trial_reports_the_devices_it_trains_on(ray_local, tmp_path):
    from ray import tune

    trainable = tune.with_parameters(
        train_cnn, data=prepare("digits", limit=100), settings=TrainSettings(model="lenet5", max_epochs=1, gpus=0)
    )
    results = tune.Tuner(
        tune.with_resources(trainable, {"cpu": 1}),
        param_space={"hidden_units": 8},
        run_config=tune.RunConfig(storage_path=str(tmp_path), name="devices", verbose=0),
    ).fit()
    reported = results[0].metrics
    assert "CPU" in reported["devices"] and "GPU" not in reported["devices"]


@pytest.mark.parametrize("model", ["seed-cnn", "lenet5"])
@pytest.mark.parametrize("dataset", ["mnist-5k", "digits"])
def test_models_build_for_every_dataset(model, dataset):
    from trainables.cnn import build_model

    data = prepare(dataset, limit=100)
    net = build_model(Hyperparameters(hidden_units=8, dropout=0.2, l1=0.01), TrainSettings(model=model), data.input_shape, 10)
    assert net.output_shape == (None, 10)
