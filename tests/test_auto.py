"""``search.algorithm: auto`` and ``scheduler.name: auto``: every row of the decision table, what the
registry refuses, option errors, and what a run prints and records."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.errors import InputError
from experiments.algorithms import ALGORITHMS
from experiments.auto import SCHEDULER_ROWS, SEARCH_ROWS
from experiments.resume import check_unchanged
from experiments.schedulers import SCHEDULERS
from experiments.spec import load_spec

BOTH = {"search": {"algorithm": "auto"}, "scheduler": {"name": "auto"}}
NUMBERS = {"learning_rate": {"loguniform": [1e-4, 1e-1]}, "dropout": {"uniform": [0.0, 0.5]}}


def auto_spec(space="quickstart", samples=None, folds=1, epochs=6, metric="val_accuracy", **search):
    search = {"algorithm": "auto", **search, **({"num_samples": samples} if samples else {})}
    return load_spec({"name": "t", "space": space, "search": search, "scheduler": {"name": "auto"},
                      "dataset": {"folds": folds}, "train": {"max_epochs": epochs}, "metric": metric})


# (row of SEARCH_ROWS that decides, the spec's settings, the algorithm it must choose)
SEARCH_CASES = [
    (0, {"space": {"hidden_units": {"grid": [64, 128]}, **NUMBERS}}, "random"),
    (0, {"space": {"batch_size": 32}}, "random"),  # nothing searched
    (1, {"space": "seed-grid", "samples": 20}, "grid"),
    (2, {"samples": 40, "max_concurrent": 5}, "random"),
    (3, {"samples": 10}, "random"),
    (3, {}, "random"),  # num_samples unset: 10
    (4, {"samples": 30, "metric": ["val_accuracy", "params"]}, "optuna"),
    (4, {"space": "seed-bayesopt", "samples": 30, "folds": 2, "metric": ["val_accuracy", "latency_ms"]}, "optuna"),
    (5, {"space": {"optimizer": {"choice": ["adam", "sgd"]}, "momentum": {"uniform": [0.5, 0.95]}}, "samples": 30}, "hyperopt"),
    (5, {"space": {"lr_schedule": {"choice": ["constant", "step"]}, "lr_decay": {"uniform": [0.5, 0.9]}}, "samples": 30}, "hyperopt"),
    (6, {"samples": 11}, "hyperopt"),
    (6, {"samples": 30, "max_concurrent": 4}, "hyperopt"),
    (6, {"space": {"optimizer": {"choice": ["sgd", "rmsprop"]}, "momentum": {"uniform": [0.5, 0.95]}}, "samples": 30}, "hyperopt"),
    (7, {"space": NUMBERS, "samples": 30}, "hyperopt"),
    (8, {"space": NUMBERS, "samples": 30, "folds": 3}, "bayesopt"),
    (8, {"space": "seed-bayesopt", "samples": 30, "folds": 2}, "bayesopt"),
]
ONE, TWO = "val_accuracy", ["val_accuracy", "params"]
SCHEDULER_CASES = [(1, 1, ONE, "fifo"), (1, 2, ONE, "fifo"), (2, 3, ONE, "asha"), (2, 30, ONE, "asha"), (0, 30, TWO, "fifo")]


@pytest.mark.parametrize("row, settings, expected", SEARCH_CASES)
def test_each_search_row_chooses_its_algorithm(row, settings, expected):
    spec = auto_spec(**settings)
    assert spec.search.algorithm == expected
    assert f"search: {SEARCH_ROWS[row].when}: " in spec.auto.reason  # this row decided, no earlier one


@pytest.mark.parametrize("row, epochs, metric, expected", SCHEDULER_CASES)
def test_each_scheduler_row_chooses_its_scheduler(row, epochs, metric, expected):
    spec = auto_spec(epochs=epochs, metric=metric)
    assert spec.scheduler.name == expected
    assert f"scheduler: {SCHEDULER_ROWS[row].when}: " in spec.auto.reason


def test_every_row_has_a_case():
    assert {row for row, _, _ in SEARCH_CASES} == set(range(len(SEARCH_ROWS)))
    assert {row for row, _, _, _ in SCHEDULER_CASES} == set(range(len(SCHEDULER_ROWS)))


def test_the_readme_carries_the_same_table():
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    for row in (*SEARCH_ROWS, *SCHEDULER_ROWS):
        assert f"| {row.when} | `{row.choice}` | {row.why} | {row.evidence} |" in readme, row.when


@pytest.mark.parametrize("fixed", SCHEDULERS.names())
def test_auto_search_runs_with_every_scheduler_given(fixed):
    """The table would take hyperopt; a scheduler that refuses it gets what it runs with."""
    spec = load_spec({"name": "t", "space": "quickstart", "search": {"algorithm": "auto", "num_samples": 30},
                      "scheduler": {"name": fixed}})  # refused pairs would raise here
    assert spec.search.algorithm == {"pbt": "random", "bohb": "bohb"}.get(fixed, "hyperopt")
    assert spec.auto.asked == ("search.algorithm",) and spec.auto.line().startswith(f"auto: search.algorithm -> {spec.search.algorithm} (")
    if fixed in ("pbt", "bohb"):
        assert f"scheduler {fixed} runs only with" in spec.auto.reason


@pytest.mark.parametrize("fixed", ALGORITHMS.names())
def test_auto_scheduler_runs_with_every_algorithm_given(fixed):
    space = "seed-grid" if fixed == "grid" else "quickstart"
    spec = load_spec({"name": "t", "space": space, "search": {"algorithm": fixed}, "scheduler": {"name": "auto"}})
    assert spec.scheduler.name == ("bohb" if fixed == "bohb" else "asha")
    assert spec.auto.asked == ("scheduler.name",) and spec.auto.algorithm == fixed


@pytest.mark.parametrize(
    "settings, said",
    [
        ({"search": {"algorithm": "auto", "initial_points": 3}},
         "search.initial_points: unknown key; valid: algorithm, num_samples, max_concurrent, seed (search.algorithm: auto chose random)"),
        ({"scheduler": {"name": "auto", "grace_period": 1}, "train": {"max_epochs": 2}},
         "scheduler.grace_period: unknown key; valid: name (scheduler.name: auto chose fifo)"),
        ({"search": {"algorithm": "atuo"}}, "search.algorithm: unknown search algorithm 'atuo' (did you mean 'auto'?); valid: auto, "),
        ({"scheduler": {"name": "auto"}, "train": {"max_epochs": 0}}, "train.max_epochs: Input should be greater than 0"),
    ],
)
def test_options_auto_did_not_choose_are_one_line_naming_the_choice(settings, said):
    with pytest.raises(InputError) as raised:
        load_spec({"name": "t", "space": "quickstart", **settings})
    assert str(raised.value).startswith(said), raised.value


def test_options_of_the_chosen_module_are_taken():
    spec = auto_spec(samples=30, initial_points=5)
    assert spec.search.algorithm == "hyperopt" and spec.search.initial_points == 5


def test_smoke_reparse_and_resume_keep_the_choice(tmp_path):
    spec = auto_spec(samples=30, epochs=10)
    smoke = spec.smoke()  # 2 samples, 2 epochs would choose random x fifo: the smoke run runs what the spec runs
    assert (smoke.search.algorithm, smoke.scheduler.name, smoke.auto) == ("hyperopt", "asha", spec.auto)
    assert load_spec(spec).auto == spec.auto
    (tmp_path / "summary.json").write_text(json.dumps({"spec": spec.as_data()}))
    check_unchanged(auto_spec(samples=30, epochs=10), tmp_path)
    check_unchanged(load_spec({**spec.as_data(), "auto": None}), tmp_path)  # the names auto chose, given by hand
    with pytest.raises(InputError, match=r"search.algorithm \"hyperopt\" → \"random\""):
        check_unchanged(auto_spec(samples=30, epochs=10, max_concurrent=8), tmp_path)


def test_a_record_whose_names_were_set_by_hand_is_dropped():
    spec = auto_spec(samples=30)
    assert load_spec(spec, {"search.algorithm": "random"}).auto is None
    assert load_spec(spec, {"search.num_samples": 5}).auto == spec.auto


@pytest.mark.slow
def test_a_sweep_run_with_every_auto_says_each_choice_first_records_it_and_keeps_it_on_resume(tmp_path, short_tmp):
    """search.algorithm, scheduler.name and resources.cpu left to auto, in one sweep (each choice's rules
    are tested without Ray above and in test_resources.py): the run says what it chose first, records it,
    and a resume keeps it even where auto would now choose otherwise (2 CPUs a trial on 4)."""
    command = [
        str(Path(sys.executable).with_name("cnn-tune")), "run", "quickstart", "--storage", str(tmp_path),
        "--set", "dataset.name=digits", "--set", "dataset.limit=160", "--set", "train.max_epochs=3",
        "--set", "search.num_samples=2", "--set", "search.algorithm=auto", "--set", "scheduler.name=auto",
    ]
    chose = "auto: search.algorithm -> random, scheduler.name -> asha (search: num_samples 10 or fewer"
    cpu = {(): "resources: cpu auto -> 1 CPU per trial, 2 trials at once on 2 CPUs (one trial per CPU)",
           ("--resume",): "resources: cpu auto -> 1 CPU per trial, as when the run started"}
    for extra, cpus in (((), "2"), (("--resume",), "4")):
        done = subprocess.run([*command, "--num-cpus", cpus, *extra], capture_output=True, text=True, timeout=600,
                              env={**os.environ, "RAY_TMPDIR": short_tmp})
        assert done.returncode == 0, done.stderr[-3000:]
        lines = done.stdout.splitlines()
        assert lines[0].startswith(chose) and lines[1] == cpu[extra], done.stdout
        manifest = json.loads((tmp_path / "quickstart" / "manifest.json").read_text())
        assert manifest["spec"]["auto"]["asked"] == ["search.algorithm", "scheduler.name"]
        assert (manifest["spec"]["auto"]["algorithm"], manifest["spec"]["auto"]["scheduler"]) == ("random", "asha")
        assert manifest["spec"]["auto"]["reason"] in lines[0]
        assert manifest["spec"]["search"]["algorithm"] == "random" and manifest["spec"]["scheduler"]["name"] == "asha"
        for record in ("manifest.json", "summary.json"):
            assert json.loads((tmp_path / "quickstart" / record).read_text())["spec"]["resources"]["cpu"] == 1
    assert len(manifest["runs"]) == 2 and manifest["runs"][1]["resumed"]
