"""``cnn-tune plan``: the configurations a sweep trains, what they cost, the epochs its scheduler trains, the bill."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

import experiments
from core.errors import InputError
from experiments.forecast import MODEL_BASED_DRAWS, Costs, corners, cost_drivers, draw_configs, draw_sweeps, simulate, sweep_seconds
from experiments.prices import cluster_nodes, nodes_used
from search_spaces import load_space

ROOT = Path(__file__).resolve().parents[1]


def test_the_drivers_are_the_whole_number_hyperparameters_that_vary_widest_first():
    space = load_space({
        "hidden_units": {"choice": [64, 128, 512]}, "batch_size": {"qlograndint": [16, 256, 16]},
        "learning_rate": {"loguniform": [1e-4, 1e-1]}, "lr_step_epochs": {"choice": [2, 3]}, "filters": {"randint": [8, 33]},
        "l2": 0.0, "optimizer": {"choice": ["adam", "sgd"]},
    })
    drivers = cost_drivers(space)  # ratios 8, 16, 1.5, 4: the three widest, widest first
    assert list(drivers.items()) == [("batch_size", (16, 256)), ("hidden_units", (64, 512)), ("filters", (8, 32))]


def test_corners_vary_the_drivers_and_hold_the_rest_at_their_middle():
    space = load_space({"hidden_units": {"choice": [64, 256]}, "batch_size": {"choice": [32, 128]},
                        "learning_rate": {"loguniform": [1e-4, 1e-2]}, "dropout": {"uniform": [0.0, 0.5]}})
    probes = corners(space, cost_drivers(space))
    assert [(p["hidden_units"], p["batch_size"]) for p in probes] == [(64, 32), (64, 128), (256, 32), (256, 128)]
    assert all(p["learning_rate"] == pytest.approx(1e-3) and p["dropout"] == 0.25 for p in probes)


def probe(setup, first, steady, startup=5.0):
    return {"setup_s": setup, "epoch_s": [first, steady], "startup_s": startup}


def test_costs_between_the_corners_are_exact_for_a_fixed_part_plus_parts_per_width_and_per_step():
    """An epoch of the seed CNN: a fixed part (the convolutions over every image), a part per unit of
    width, and the dense layer's weight updates, one per step: width x images / batch."""
    drivers = {"hidden_units": (64, 2048), "batch_size": (16, 256)}

    def law(units, batch):
        return 3.0 + 0.001 * units + 0.0001 * units * 3600 / batch

    costs = Costs(drivers, [probe(0.2, 2 * law(u, b), law(u, b)) for u in (64, 2048) for b in (16, 256)])
    seconds = costs.epoch_seconds({"hidden_units": 933, "batch_size": 171}, epochs=3)
    assert seconds[1:] == pytest.approx((law(933, 171),) * 2)
    assert seconds[0] == pytest.approx(0.2 + 2 * law(933, 171))
    assert costs.epoch_seconds({"hidden_units": 4096, "batch_size": 8}, 1)[0] == pytest.approx(0.2 + 2 * law(2048, 16))  # held at the corner


def constant_costs(first=2.0, steady=1.0):
    return Costs({}, [probe(0.0, first, steady)])


def test_fifo_trains_every_epoch_and_fills_the_slots():
    spec = experiments.validate("quickstart", scheduler={"name": "fifo"}, train={"max_epochs": 3}, search={"num_samples": 4})
    found = simulate(spec, [[{}] * 4], constant_costs(), slots=2, orders=5)
    assert found["epochs"] == {"median": 12, "p10": 12, "p90": 12} and found["fifo_epochs"] == 12
    assert found["training_s"]["median"] == pytest.approx(2 * (2.0 + 1.0 + 1.0))  # two trials after each other per slot


def test_asha_is_forecast_to_train_what_its_rungs_let_through():
    spec = experiments.validate("quickstart", scheduler={"name": "asha", "grace_period": 1, "reduction_factor": 3},
                                train={"max_epochs": 9}, search={"num_samples": 27})
    found = simulate(spec, [[{}] * 27], constant_costs(), slots=1, orders=20)
    # one at a time, ASHA stops a trial at a rung unless it is in the top third of those seen there so far
    assert 27 + 9 <= found["epochs"]["median"] < 0.5 * found["fifo_epochs"]
    assert found["training_s"]["median"] < 0.5 * 27 * (2.0 + 8 * 1.0)


def test_pbt_is_forecast_as_every_trial_to_the_end():
    spec = experiments.validate("quickstart", search={"algorithm": "random", "num_samples": 4}, scheduler={"name": "pbt"},
                                train={"max_epochs": 4})
    found = simulate(spec, [[{}] * 4], constant_costs(), slots=4, orders=3)
    assert found["scheduler"] == "fifo" and found["epochs"]["median"] == 16


def test_the_stop_budgets_cut_the_forecast_sweep():
    costs = constant_costs()  # Tune's own 1 s, the backend's start-up 5 s; 4 trials of 3 epochs, 2 at once: 8 s of training
    budgets = {"fifo": {}, "epochs": {"epochs_budget": 6}, "time": {"time_budget_s": 10}, "both": {"epochs_budget": 6, "time_budget_s": 5}}
    sweeps = {}
    for name, stop in budgets.items():
        spec = experiments.validate("quickstart", scheduler={"name": "fifo"}, train={"max_epochs": 3}, search={"num_samples": 4}, stop=stop)
        sweeps[name] = sweep_seconds(spec, costs, simulate(spec, [[{}] * 4], costs, slots=2, orders=3), tune_s=1.0)
    assert sweeps["fifo"] == pytest.approx({"median": 14.0, "p10": 14.0, "p90": 14.0})
    assert sweeps["epochs"]["median"] == pytest.approx(7.0)  # half the 12 epochs, at the same pace
    assert sweeps["time"]["median"] == 10.0 and sweeps["both"]["median"] == 5.0


def test_the_draws_are_the_configurations_random_search_runs():
    spec = experiments.validate("quickstart", search={"num_samples": 5, "seed": 3})
    assert draw_configs(spec) == draw_configs(spec)
    assert draw_configs(spec) != draw_configs(experiments.validate("quickstart", search={"num_samples": 5, "seed": 4}))
    grid = experiments.validate("seed-grid")
    assert len(draw_configs(grid)) == grid.search_space.grid_size() * grid.search.num_samples


def test_a_model_based_searchers_forecast_spans_draws_of_its_space():
    """Random search's sweep is known, so its FIFO forecast has no spread; BayesOpt's proposals are not,
    so its forecast weighs seeded draws of the space and its range spans what they cost."""
    bayes = experiments.validate("seed-bayesopt")
    random = bayes.model_copy(update={"search": bayes.search.model_copy(update={"algorithm": "random"})})
    assert draw_sweeps(random) == [draw_configs(random)]
    sweeps = draw_sweeps(bayes)
    assert len(sweeps) == MODEL_BASED_DRAWS and all(len(configs) == bayes.search.num_samples for configs in sweeps)
    assert len({json.dumps(configs, sort_keys=True) for configs in sweeps}) == MODEL_BASED_DRAWS
    drivers = {"hidden_units": (64, 2048)}
    costs = Costs(drivers, [probe(0.0, units / 100, units / 100) for units in (64, 2048)])  # an epoch grows with the width
    known, weighed = (simulate(bayes, draws, costs, slots=2, orders=40)["training_s"] for draws in (draw_sweeps(random), sweeps))
    assert known["p10"] == known["p90"]
    assert weighed["p90"] > 1.2 * weighed["p10"]


def test_the_shipped_cluster_is_priced_from_the_table():
    nodes = cluster_nodes(str(ROOT / "cluster.yaml"))
    assert [(n["instance"], n["CPU"], n["GPU"], n["usd_per_hour"]) for n in nodes] == (
        [("m5.2xlarge", 8, 0, 0.384)] + [("g5.xlarge", 4, 1, 1.006)] * 4)
    # 8 CPU trials: the head holds 8; four GPU trials at 0.25 GPU fill one worker beside the head
    assert [n["instance"] for n in nodes_used(nodes, cpu=1, gpu=0, slots=8)] == ["m5.2xlarge"]
    assert [n["instance"] for n in nodes_used(nodes, cpu=1, gpu=0.25, slots=4)] == ["m5.2xlarge", "g5.xlarge"]
    assert [n["instance"] for n in nodes_used(nodes, cpu=1, gpu=1, slots=3)] == ["m5.2xlarge"] + ["g5.xlarge"] * 3


def test_an_unpriced_instance_without_resources_is_refused(tmp_path):
    path = tmp_path / "cluster.yaml"
    path.write_text("head_node_type: h\navailable_node_types:\n  h: {node_config: {InstanceType: z9.huge}}\n")
    with pytest.raises(InputError, match=r"^--cluster: node type h \(z9.huge\) is not in experiments/prices.py"):
        cluster_nodes(str(path))
    path.write_text("head_node_type: h\navailable_node_types:\n  h: {resources: {CPU: 6}, node_config: {InstanceType: z9.huge}}\n")
    assert cluster_nodes(str(path)) == [{"type": "h", "instance": "z9.huge", "CPU": 6.0, "GPU": 0, "usd_per_hour": None}]


def test_plan_is_listed_in_the_help():
    shown = subprocess.run([sys.executable, "-m", "experiments.cli", "--help"], capture_output=True, text=True, cwd=ROOT)
    assert "plan" in shown.stdout and "forecast" in shown.stdout


@pytest.mark.slow
def test_a_planned_smoke_sweep_takes_within_a_factor_two_of_its_forecast(ray_local, tmp_path, capsys):
    """The stated factor: the forecast of a seconds-long sweep is within 2x of its running time
    (BENCHMARKS.md holds the comparison on longer sweeps, against a tighter goal)."""
    spec = experiments.validate(
        "quickstart", storage=str(tmp_path), name="planned", dataset={"name": "digits", "limit": 400},
        search={"num_samples": 6}, scheduler={"name": "fifo"}, train={"max_epochs": 3}, resources={"cpu": 1},
    )
    planned = experiments.plan(spec)  # as a notebook would
    assert capsys.readouterr().out.startswith("plan planned: random search x fifo, 6 trials, 1 at once (1 CPU each)")  # ray_local has one CPU
    assert planned["slots"] == 1 and planned["trials"] == 6
    assert 0 < planned["forecast"]["tune_s"] < planned["forecast"]["sweep_s"]["p10"]
    result = experiments.run(spec, verbose=0)
    plan = result.plan
    assert plan["simulation"]["epochs"]["median"] == 18 == result.summary["epochs_total"]
    ran = sorted(json.dumps(config, sort_keys=True) for config in result.dataframe[list(spec.search_space.domains)].to_dict("records"))
    assert ran == sorted(json.dumps(config, sort_keys=True) for config in draw_configs(spec))
    forecast, actual = plan["forecast"]["sweep_s"]["median"], result.summary["running_s"]
    assert 0.5 <= actual / forecast <= 2.0, (forecast, actual)
    assert math.isfinite(plan["forecast"]["cpu_hours"]) and plan["forecast"]["usd"] is None
    assert "Forecast by cnn-tune plan" in (result.run_dir / "report.html").read_text()
