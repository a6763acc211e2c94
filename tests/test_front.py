"""Accuracy against size or speed: the measured costs, the Pareto front, what may search it, and the point `final` takes."""

from __future__ import annotations

import json

import numpy as np
import pytest

import experiments
from core.errors import InputError
from core.pareto import pareto_front
from core.schema import result_columns
from experiments.algorithms import algorithm
from experiments.cli import main
from experiments.figures.front import front_figure
from experiments.finalists import top_configs
from experiments.front import FrontLimitUnmet, front_choice
from experiments.record.front import recorded_front
from experiments.record.csvio import atomic_write
from experiments.record.trial import TrialRecord
from experiments.results import SweepResult
from experiments.spec import load_spec
from experiments.tables import Sweep
from trainables import backend
from trainables.cnn import CnnTrial, TrainSettings
from trainables.data import prepare
from trainables.hyperparameters import Hyperparameters
from trainables.measure import latency_ms

TWO = {"name": "t", "space": "quickstart", "metric": ["val_accuracy", "params"], "search": {"algorithm": "optuna"}}


def dominated(point, others, modes) -> bool:
    """Brute force: some other point is at least as good on both and better on one."""
    signs = [1 if mode == "max" else -1 for mode in modes]
    return any(all(s * o >= s * p for s, o, p in zip(signs, other, point)) and other != point for other in others)


@pytest.mark.parametrize("modes", [("max", "min"), ("min", "min")])
def test_the_front_is_every_point_no_other_beats_on_both(modes):
    rng = np.random.default_rng(0)
    for _ in range(50):  # small integer grids: many ties in one objective, some in both
        points = [tuple(int(v) for v in rng.integers(0, 6, size=2)) for _ in range(rng.integers(1, 15))]
        front = pareto_front(points, lambda p: p[0], lambda p: p[1], modes)
        assert sorted(front) == sorted(p for p in points if not dominated(p, points, modes))
        assert [p[1] for p in front] == sorted(p[1] for p in front)  # from the cheapest


def test_the_recorded_front_reads_each_trials_best_epoch_and_leaves_failed_trials_out():
    def trial(trial_id, status, *epochs):
        record = TrialRecord(trial_id, {"hidden_units": len(trial_id)}, status=status)
        for epoch, (accuracy, params) in enumerate(epochs, start=1):
            record.add({"epoch": epoch, "val_accuracy": accuracy, "params": params})
        return record

    records = [
        trial("small", "completed", (0.80, 100), (0.70, 100)),  # peaked at its first epoch: the sweep selects 0.80
        trial("big", "completed", (0.85, 5000), (0.90, 5000)),
        trial("worse", "completed", (0.75, 200)),  # larger and less accurate than small
        trial("broken", "diverged", (0.99, 50)),
    ]
    front = recorded_front(records, "val_accuracy", "max", "params")
    assert [(p["trial_id"], p["epoch"], p["metrics"]) for p in front] == [
        ("small", 1, {"val_accuracy": 0.80, "params": 100}), ("big", 2, {"val_accuracy": 0.90, "params": 5000})]
    assert front[0]["config"] == {"hidden_units": 5}


@pytest.mark.parametrize(
    "spec, field, words",
    [
        ({"metric": ["val_accuracy", "flops"]}, "metric", "unknown second objective 'flops'; valid: params, latency_ms"),
        ({"metric": ["params", "val_accuracy"]}, "metric", "[val_accuracy, params or latency_ms]"),
        ({"metric": ["val_accuracy", "params", "latency_ms"]}, "metric", "write one metric, or it and a measured cost"),
        ({"search": {"algorithm": "hyperopt"}}, "search.algorithm", "hyperopt learns from one objective"),
        ({"search": {"algorithm": "bayesopt"}, "space": "seed-bayesopt"}, "search.algorithm", "use optuna (learns both)"),
        ({"scheduler": {"name": "asha"}}, "scheduler.name", "asha stops or exploits trials on val_accuracy alone"),
        ({"scheduler": {"name": "median"}}, "scheduler.name", "bias the front; with two objectives use fifo"),
        ({"final": {"enabled": True, "front": {"max_latency_ms": 1}}, "dataset": {"test": 0.2}},
         "final.front.max_latency_ms", "second objective is params; write max_params"),
        ({"final": {"front": {"max_params": 10_000}}}, "final.front", "set final.enabled: true"),
        ({"final": {"enabled": True, "front": {}}, "dataset": {"test": 0.2}}, "final.front", "write one limit, max_params or max_latency_ms"),
        ({"final": {"enabled": True, "front": {"max_params": 0}}, "dataset": {"test": 0.2}}, "final.front.max_params", "greater than 0"),
        ({"metric": "val_accuracy", "final": {"enabled": True, "front": {"max_params": 9}}, "dataset": {"test": 0.2}},
         "final.front", "picks a point of the Pareto front of two objectives"),
    ],
)
def test_what_cannot_run_two_objectives_is_refused_naming_the_field(spec, field, words):
    with pytest.raises(InputError) as raised:
        load_spec({**TWO, **spec})
    message = str(raised.value)
    assert message.startswith(f"{field}: ") and words in message and "\n" not in message, message


def test_one_metric_stays_as_it_was_and_two_name_the_measured_second():
    one = load_spec({"name": "t", "space": "quickstart"})
    assert (one.metric, one.objective, one.second_objective, one.search_context().second_objective) == (
        "val_accuracy", "val_accuracy", None, None)
    for algorithm in ("optuna", "random"):
        two = load_spec({**TWO, "search": {"algorithm": algorithm}, "metric": ["val_loss", "latency_ms"]})
        assert (two.objective, two.objective_mode, two.second_objective) == ("val_loss", "min", "latency_ms")
        assert load_spec(two.as_data()).metric == two.metric  # what the record keeps reads back the same
    assert load_spec({**TWO, "space": "seed-grid", "search": {"algorithm": "grid"}}).second_objective == "params"


def test_optuna_learns_both_objectives_in_their_directions():
    """Through Ray's SearchGenerator, as the Tuner drives it, without starting Ray."""
    from ray.tune.experiment import Experiment
    from ray.tune.search import SearchGenerator

    spec = load_spec({**TWO, "search": {"algorithm": "optuna", "startup_trials": 1}})
    search_alg, param_space = algorithm("optuna").build(spec.search_context())
    generator = SearchGenerator(search_alg)
    generator.add_configurations([Experiment("two", lambda config: None, config=param_space, num_samples=4)])
    for index in range(4):
        trial = generator.next_trial()
        generator.on_trial_complete(trial.trial_id, result={"best_val_accuracy": 0.5 + index / 10, "params": 1000 - index})
    assert (search_alg.metric, search_alg.mode) == (["best_val_accuracy", "params"], ["max", "min"])
    study = search_alg.searcher._ot_study
    assert [d.name for d in study.directions] == ["MAXIMIZE", "MINIMIZE"]
    assert [t.values for t in study.trials] == [[0.5 + i / 10, 1000 - i] for i in range(4)]


@pytest.fixture(scope="module")
def digits():
    backend.configure(cpus=1, gpus=0)
    return prepare("digits", limit=300, seed=0)


def test_a_trial_reports_its_models_parameter_count_and_times_it_only_when_asked(digits):
    trial = CnnTrial(Hyperparameters(hidden_units=8), digits, TrainSettings(max_epochs=1, cpus=1))
    reported = trial.run_epoch()
    assert reported["params"] == trial.folds[0].model.count_params() > 0
    assert "latency_ms" not in reported


def test_latency_is_measured_per_image_and_grows_with_the_model(digits):
    narrow, wide = (CnnTrial(Hyperparameters(hidden_units=units), digits, TrainSettings(max_epochs=1, cpus=1, measure_latency=True))
                    for units in (8, 8192))
    assert 0 < narrow.measured["latency_ms"] < wide.measured["latency_ms"]
    assert narrow.run_epoch()["latency_ms"] == narrow.measured["latency_ms"]  # measured once, reported every epoch
    images, model = digits.pool.take(digits.folds[0][1][:64]).x, narrow.folds[0].model
    model.run_eagerly = True  # as a trial too short to trace trains
    assert latency_ms(model, images) < latency_ms(model, images[:8])  # per image: 8x the images take less than 8x the time
    assert model.run_eagerly, "the model trains as it did before it was timed"


def written_front(tmp_path, points, rows=()) -> SweepResult:
    """A run folder holding what the final step reads: summary.json's front, results.csv's rows."""
    front = [{"trial_id": t, "config": {"hidden_units": u}, "epoch": 1, "metrics": {"val_accuracy": a, "params": p}}
             for t, u, a, p in points]
    (tmp_path / "summary.json").write_text(json.dumps({"metric": "val_accuracy", "mode": "max", "front": front}))
    columns = result_columns(["hidden_units"])
    lines = [",".join(columns)] + [",".join(str(row.get(c, "")) for c in columns) for row in rows]
    atomic_write(tmp_path / "results.csv", "\n".join(lines) + "\n")
    return SweepResult(tmp_path)


def test_final_takes_the_fronts_best_point_within_the_limit_and_says_why(tmp_path):
    result = written_front(tmp_path, [("a", 8, 0.80, 1_000), ("b", 64, 0.90, 50_000), ("c", 1024, 0.95, 900_000)])
    spec = load_spec({**TWO, "dataset": {"test": 0.2}, "final": {"enabled": True, "front": {"max_params": 100_000}}})
    choice = front_choice(spec, result)
    assert (choice["trial_id"], choice["config"], choice["limit"]) == ("b", {"hidden_units": 64}, {"params": 100_000})
    assert choice["why"] == "the best val_accuracy (0.9000) of the 2 of 3 front points with params <= 100000"
    tight = spec.model_copy(update={"final": spec.final.model_copy(update={"front": spec.final.front.model_copy(update={"max_params": 999})})})
    with pytest.raises(FrontLimitUnmet, match=r"^final\.front\.max_params: no point of the front has params <= 999 "
                                              r"\(the smallest on the front is 1000\)"):
        front_choice(tight, result)


def test_finalists_under_a_front_limit_are_the_best_configurations_within_it(tmp_path):
    rows = [{"trial_id": t, "status": "completed", "hidden_units": u, "best_epoch": 1, "best_val_accuracy": a, "params": p}
            for t, u, a, p in [("a", 8, 0.80, 1_000), ("b", 64, 0.90, 50_000), ("c", 1024, 0.95, 900_000), ("d", 32, 0.85, 20_000)]]
    result = written_front(tmp_path, [], rows)
    assert [f["trial_id"] for f in top_configs(result, 2, None, ("params", 100_000))] == ["b", "d"]
    assert [f["trial_id"] for f in top_configs(result, 2, None)] == ["c", "b"]


def test_list_validate_and_help_name_the_second_objectives(capsys):
    assert main(["list"]) == 0
    listed = capsys.readouterr().out.split("metrics:")[1]
    assert all(f"  {name}" in listed for name in ("val_accuracy", "params", "latency_ms"))
    assert main(["validate", "quickstart", "--set", "metric=[val_accuracy, latency_ms]", "--set", "scheduler.name=fifo"]) == 0
    assert "metric val_accuracy (max) against latency_ms (min)" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    said = " ".join(capsys.readouterr().out.split())
    assert "metric=[val_accuracy, params]" in said and "final.front.max_params=N" in said


WIDE = {"hidden_units": {"choice": [4, 16, 64, 256, 1024, 2048]}, "learning_rate": {"loguniform": [1e-3, 1e-2]}}


@pytest.mark.slow
def test_a_two_objective_sweep_records_its_front_and_retrains_the_chosen_point(ray_local, tmp_path):
    limit = 100_000
    result = experiments.run(
        {"name": "front", "space": WIDE, "metric": ["val_accuracy", "params"]}, storage=str(tmp_path), verbose=0,
        search={"algorithm": "optuna", "num_samples": 5, "seed": 1}, train={"max_epochs": 1},
        dataset={"name": "digits", "limit": 300, "test": 0.2}, final={"enabled": True, "front": {"max_params": limit}},
    )
    table = result.dataframe.set_index("trial_id")
    assert table.params.notna().all() and table.params.nunique() > 1  # measured per trial, different widths
    assert (result.history.groupby("trial_id").params.nunique() == 1).all()
    points = list(zip(table.index, table.best_val_accuracy, table.params))
    expected = [p for p in points if not dominated(p[1:], [q[1:] for q in points], ("max", "min"))]
    front = result.front
    assert sorted(zip(front.trial_id, front.val_accuracy, front.params)) == sorted(expected)
    assert result.summary["second_objective"] == "params" and len(result.summary["front"]) == len(front)

    drawn = next(line for line in front_figure(Sweep(result)).axes[0].lines if line.get_gid() == "front")
    assert list(drawn.get_xdata()) == sorted(p[2] for p in expected)

    within = [p for p in expected if p[2] <= limit]
    chosen = max(within, key=lambda p: (p[1], -p[2]))
    final = result.final
    assert final["trial_id"] != result.best["trial_id"], "the limit left the most accurate trial out"
    assert (final["trial_id"], final["front"]["trial_id"], final["front"]["limit"]) == (chosen[0], chosen[0], {"params": limit})
    assert final["config"] == next(p["config"] for p in result.summary["front"] if p["trial_id"] == chosen[0])
    import keras

    assert keras.models.load_model(result.run_dir / "best_model.keras").count_params() == chosen[2]

    page = (result.run_dir / "report.html").read_text()
    assert "Pareto front: val_accuracy against params" in page and "<b>Final point:</b>" in page
    assert all(trial_id in page for trial_id in front.trial_id)
    assert (result.run_dir / "front.png").stat().st_size > 5_000


@pytest.mark.slow
def test_a_limit_no_trial_meets_ends_the_final_step_after_the_record_and_report(ray_local, tmp_path):
    with pytest.raises(FrontLimitUnmet, match=r"^final\.front\.max_params: no point of the front has params <= 10 ") as raised:
        experiments.run(
            {"name": "unmet", "space": WIDE, "metric": ["val_accuracy", "params"]}, storage=str(tmp_path), verbose=0,
            search={"num_samples": 1}, train={"max_epochs": 1}, dataset={"name": "digits", "limit": 200, "test": 0.2},
            final={"enabled": True, "front": {"max_params": 10}},
        )
    run_dir = raised.value.result.run_dir
    assert (run_dir / "report.html").is_file() and not (run_dir / "final.json").exists()
    assert raised.value.result.summary["state"] == "finished" and len(raised.value.result.front) == 1
