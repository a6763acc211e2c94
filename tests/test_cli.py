"""The command line's contract: listings, validation, and bad input refused before Ray starts."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from experiments.cli import main


def cnn_tune(*args, env=None, tmp_path: Path):
    """The real console script, with Ray's temp dir and HOME inside tmp_path to see what it starts."""
    environment = {**os.environ, "RAY_TMPDIR": str(tmp_path / "raytmp"), "HOME": str(tmp_path / "home"), **(env or {})}
    environment.pop("CNN_TUNE_MNIST_DIR", None)
    script = Path(sys.executable).with_name("cnn-tune")
    return subprocess.run([str(script), *args], capture_output=True, text=True, env=environment, timeout=120)


def test_list_shows_every_registry(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for name in ("quickstart", "seed-grid", "bayesopt", "hyperband", "pbt", "mnist-5k", "digits", "lenet5", "seed-cnn"):
        assert name in out
    assert "importance  Which hyperparameters mattered: fANOVA" in out


def test_report_help_says_how_to_read_the_importance_table(capsys):
    with pytest.raises(SystemExit):
        main(["report", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "which hyperparameters mattered (each one's fANOVA share of the metric's variance" in out
    assert "a searcher that concentrates trials in a region weighs it more" in out


def test_validate_prints_a_summary(capsys):
    assert main(["validate", "quickstart", "--set", "search.num_samples=3"]) == 0
    assert "quickstart: ok - random search x asha" in capsys.readouterr().out


def test_list_and_help_name_auto(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n  auto ") == 2, out  # among the algorithms and the schedulers
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    assert "--set search.algorithm=auto" in " ".join(capsys.readouterr().out.split())


def test_validate_prints_what_auto_chose(capsys):
    assert main(["validate", "quickstart", "--set", "search.algorithm=auto", "--set", "scheduler.name=auto"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("quickstart: ok - random search x asha")
    assert lines[1].startswith("auto: search.algorithm -> random, scheduler.name -> asha (search: num_samples 10 or fewer")


def test_validate_accepts_cpu_auto_without_starting_ray(tmp_path):
    done = cnn_tune("validate", "quickstart", "--set", "resources.cpu=auto", tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "quickstart: ok" in done.stdout
    assert not (tmp_path / "raytmp").exists(), "Ray was started"


# Refused by the same code in-process as from the console script (one child process each costs
# the fast tier 5-12 s); the cases that read the process's HOME or environment run the real script.
REFUSED = [
    (["run", "quikstart"], "unknown experiment 'quikstart' (did you mean 'quickstart'?)"),
    (["run", "quickstart", "--set", "serch.num_samples=2"], "serch: unknown key (did you mean 'search'?)"),
    (["run", "quickstart", "--set", "resources.cpu=64"], "resources.cpu: each trial asks for 64 CPU"),
    (["run", "quickstart", "--set", "resources.gpu=1"], "resources.gpu: each trial asks for 1 GPU but this machine has at most 0"),
    (["compare", "seed-random-asha", "--budget", "trials=1", "--num-cpus", "1", "--set", "resources.cpu=2"],
     "resources.cpu: each trial asks for 2 CPU"),
    (["run", "quickstart", "--resume"], "--resume: there is no sweep to resume"),
    (["run", "quickstart", "--set", "search.num_samples=0"], "search.num_samples: Input should be greater than 0"),
    (["validate", "quickstart", "--set", "mode=max"], "mode: unknown key"),
    (["validate", "quickstart", "--set", "resources.cpu=fast"], "resources.cpu: write auto or a number of CPUs per trial above 0"),
    (["run", "quickstart", "--set", "resources.cpu=0"], "resources.cpu: write auto or a number of CPUs per trial above 0"),
    (["run", "quickstart", "--set", "model=no_such_models:build"], "model: cannot import 'no_such_models' (ModuleNotFoundError"),
    (["validate", "quickstart", "--set", "model=experiments.cli:nowhere"], "model: 'experiments.cli' has no function 'nowhere'"),
]
REFUSED_BY_THE_SCRIPT = [
    (["run", "quikstart"], "unknown experiment 'quikstart' (did you mean 'quickstart'?)"),
    (["run", "quickstart", "--set", "dataset.name=mnist", "--set", "dataset.path=/nowhere"], "dataset.path: '/nowhere' does not exist"),
]


@pytest.mark.parametrize("args, expected", REFUSED)
def test_bad_input_is_one_line_exit_2_and_starts_nothing(args, expected, tmp_path, capsys):
    import ray

    code = main([*args, "--storage", str(tmp_path / "runs")])
    done = subprocess.CompletedProcess(args, code, *capsys.readouterr())
    assert not ray.is_initialized(), "Ray was started"
    assert_refused_before_ray(done, expected, tmp_path)


@pytest.mark.parametrize("args, expected", REFUSED_BY_THE_SCRIPT)
def test_the_console_script_refuses_bad_input_in_one_line_with_exit_2(args, expected, tmp_path):
    assert_refused_before_ray(cnn_tune(*args, "--storage", str(tmp_path / "runs"), tmp_path=tmp_path), expected, tmp_path)


def test_logical_gpus_hidden_by_cuda_visible_devices_are_refused(tmp_path):
    done = cnn_tune("run", "quickstart", "--num-gpus", "2", "--storage", str(tmp_path / "runs"),
                    env={"CUDA_VISIBLE_DEVICES": ""}, tmp_path=tmp_path)
    assert_refused_before_ray(done, "--num-gpus: 2 GPUs asked for but CUDA_VISIBLE_DEVICES='' lists fewer", tmp_path)


def assert_refused_before_ray(done: subprocess.CompletedProcess, expected: str, tmp_path: Path) -> None:
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cnn-tune: error: "), done.stderr
    assert expected in lines[0]
    assert not (tmp_path / "raytmp").exists(), "Ray was started"
    assert not (tmp_path / "runs").exists(), "a run folder was created"


def test_malformed_yaml_file(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("name: [unclosed\n")
    done = cnn_tune("validate", str(path), tmp_path=tmp_path)
    assert done.returncode == 2
    assert "experiment: malformed YAML" in done.stderr and "line 2" in done.stderr


def test_mnist_offline_is_refused_in_one_line_saying_how_to_provide_the_files(tmp_path):
    done = cnn_tune("run", "quickstart", "--set", "dataset.name=mnist", "--storage", str(tmp_path / "runs"), tmp_path=tmp_path)
    assert_refused_before_ray(done, "dataset.name: mnist is not on this machine and could not be downloaded", tmp_path)
    assert "CNN_TUNE_MNIST_DIR" in done.stderr and "mnist.npz" in done.stderr and "train-images-idx3-ubyte" in done.stderr
