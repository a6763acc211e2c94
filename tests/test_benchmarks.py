"""Every benchmark script's smoke mode: it runs, and the figures it prints are the ones it promises.

The values come from seconds-long runs on tiny data, so each check asks for what any run must
show (counts fixed by the smoke flags, ratios that agree with the times they divide, values in
their possible range), never for a full run's goals. A smoke run records nothing.
"""

from __future__ import annotations

import gzip
import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS_MD, RESULTS = ROOT / "BENCHMARKS.md", ROOT / "benchmarks" / "results"


def recorded() -> list[tuple[str, float]]:
    """What the benchmarks have recorded: BENCHMARKS.md and every results file, with their modification times."""
    return [(path.name, path.stat().st_mtime) for path in (BENCHMARKS_MD, *sorted(RESULTS.glob("*"))) if path.exists()]


def run(script: str, *args: str) -> str:
    """The stdout of ``script --smoke``, which must succeed and record nothing."""
    before = recorded()
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / script), "--smoke", *args], capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    assert recorded() == before, "a smoke run records nothing"
    return done.stdout


def printed(out: str) -> tuple[list[dict], str]:
    """A script's JSON lines (one per repeat or sweep) and its last line: the summary a full run records."""
    lines = out.strip().splitlines()
    return [json.loads(line) for line in lines if line.startswith("{")], lines[-1]


def figure(summary: str, label: str) -> float:
    """The number printed right after ``label`` in a summary line (``inf`` and thousands separators allowed)."""
    match = re.search(re.escape(label) + r"\s*([-+]?(?:inf|[\d,]*\.?\d+))", summary)
    assert match, f"no figure after {label!r} in: {summary}"
    return float(match[1].replace(",", ""))


def seconds(value: float) -> bool:
    """A measured step's wall time: something was timed, and it ended within the smoke run's timeout."""
    return 0 < value < 600


def megabytes(value: float) -> bool:
    """A Python process with TensorFlow or Ray loaded, as resident memory."""
    return 50 < value < 16384


def check_parallel_timings(out: str) -> None:
    """The four timings of the same work, the six ratios computed from them, and Tt's memory."""
    (row,), summary = printed(out)  # smoke: one repeat
    assert row["part"] == "timings" and row["order"] == ["T1", "T2", "Tt", "Ts"]
    for way in ("T1", "T2", "Tt", "Ts"):
        assert seconds(row[way]["wall_s"]) and 0 < row[way]["steady_s"] < row[way]["wall_s"]
    assert row["Tt"]["trial_epochs"] == row["Ts"]["trial_epochs"] == 4, "smoke: 2 grid points x 2 epochs"
    assert megabytes(row["Tt"]["driver_mb"]) and megabytes(row["Tt"]["worker_mb"])
    cores = os.cpu_count()
    assert row["efficiency"] == pytest.approx(row["T1"]["wall_s"] / (cores * row["Tt"]["wall_s"]))
    assert row["steady_speedup"] == pytest.approx(row["T2"]["steady_s"] * cores / row["Tt"]["steady_s"])
    assert row["steady_overhead"] == pytest.approx(row["Ts"]["steady_s"] / row["T2"]["steady_s"])
    for label, name in (("efficiency T1/(N*Tt)", "efficiency"), ("user speed-up T2/Tt", "speedup"), ("overhead Ts/T2", "overhead")):
        assert figure(summary, label) == pytest.approx(row[name], abs=0.006)
    assert "goal >= 0.85" in summary and "goal <= 1.05" in summary
    assert figure(summary, "steady epoch") == pytest.approx(row["Tt"]["steady_epoch_s"], abs=0.006)
    assert figure(summary, "trial worker") == pytest.approx(row["Tt"]["worker_mb"], abs=0.6)


def test_parallel_timings():
    check_parallel_timings(run("parallel.py", "--parts", "timings"))


def check_parallel_cluster(out: str, epoch_s: float) -> None:
    """The sleeping sweep on a simulated cluster: every node used, timed against its ideal."""
    (row,), summary = printed(out)  # smoke: one repeat, 2 slots
    assert row["part"] == "cluster" and row["slots"] == 2 and row["nodes_used"] == 2
    ideal = 8 * 2 * epoch_s / 2  # smoke: 8 trials x 2 epochs on 2 slots
    assert row["ideal_over_makespan"] == pytest.approx(ideal / row["loop_s"])
    assert figure(summary, "sleep") == pytest.approx(epoch_s, abs=0.006)
    assert figure(summary, "ideal/makespan") == pytest.approx(row["ideal_over_makespan"], abs=0.006)
    assert "goal >= 0.9" in summary and megabytes(row["peak_worker_mb"])


def test_parallel_cluster():
    check_parallel_cluster(run("parallel.py", "--parts", "cluster", "--epoch-s", "0.25"), 0.25)


def check_speed(out: str) -> None:
    """A trial against the bare loop on the same images: the ratio of their steady epochs and both start-ups."""
    (row,), summary = printed(out)  # smoke: one repeat of the loop part
    assert row["part"] == "loop" and row["repeat"] == 0
    for name in ("bare_epoch_s", "trial_epoch_s"):
        assert 0 < row[name] < 60
    assert -5 < row["bare_startup_s"] < 600 and -5 < row["cnn_tune_startup_s"] < 600
    assert figure(summary, "trial/bare epoch") == pytest.approx(row["trial_epoch_s"] / row["bare_epoch_s"], abs=0.006)
    assert figure(summary, "start-up bare") == pytest.approx(row["bare_startup_s"], abs=0.06)
    assert figure(summary, "cnn-tune") == pytest.approx(row["cnn_tune_startup_s"], abs=0.06)
    assert "goal <= 1.05" in summary


def test_speed():
    check_speed(run("speed.py"))


def check_peers(out: str) -> None:
    """Each tool trains exactly the epoch budget; the ratio, the accuracy gap and the target times agree with the runs."""
    (row,), summary = printed(out)  # smoke: one repeat
    tools = ("cnn-tune", "kerastuner-random", "kerastuner-hyperband", "optuna-tpe-sha")
    assert set(row) == {"repeat", *tools}
    for tool in tools:
        assert row[tool]["epochs"] == 4, f"{tool}: smoke budget of 4 epochs in all"
        assert seconds(row[tool]["wall_s"]) and 0 <= row[tool]["best"] <= 1
        assert row[tool]["to_target_s"] is None or seconds(row[tool]["to_target_s"])
    fastest_peer = min(row[tool]["wall_s"] for tool in tools[1:])
    assert figure(summary, "cnn-tune / fastest peer wall") == pytest.approx(row["cnn-tune"]["wall_s"] / fastest_peer, abs=0.006)
    best_peer = max(row[tool]["best"] for tool in tools[1:])
    assert figure(summary, "minus best peer") == pytest.approx(100 * (row["cnn-tune"]["best"] - best_peer), abs=0.006)
    walls, targets = summary.split("median seconds to 0.97:")
    for tool in tools:
        to_target = row[tool]["to_target_s"]
        assert figure(walls, f"{tool} ") == pytest.approx(row[tool]["wall_s"], abs=0.6)
        assert figure(targets, f"{tool} ") == (math.inf if to_target is None else pytest.approx(to_target, abs=0.6))
        assert re.search(rf"{re.escape(tool)} \S+ \({int(to_target is not None)}/1 reached\)", targets)


def test_peers():
    check_peers(run("peers.py"))


def check_scale(out: str) -> None:
    """Each size's wall over the sleeps' minimum, cost per result, driver memory, report time, record size,
    and how the trials spread over the simulated cluster's nodes."""
    (row,), summary = printed(out)  # smoke: one run of one size
    minimum = 12 * 3 * (1 / 3) / 4  # smoke: 12 trials of 3 reports, 1/3 s before each, 4 at once on 2 nodes
    assert row["trials"] == 12 and row["results"] == 12 * 3 and row["record_exact"]
    assert minimum <= row["loop_s"] <= row["process_s"] < 600, "no sweep beats the sleeps it waits for"
    assert row["over_minimum"] == pytest.approx(row["loop_s"] / minimum)
    assert row["overhead_ms_per_result"] == pytest.approx((row["loop_s"] - minimum) * 1000 / 36)
    assert 0 < row["driver_cpu_s"] < row["process_s"] * 2 and seconds(row["report_s"]) and megabytes(row["peak_driver_mb"])
    assert 0 < row["record_bytes"] < 12 * 3 * 4096 < 12 * 1_460_000 < row["run_bytes"], "each trial's checkpoint is in the run folder"
    assert figure(summary, "12 trials (n=1):") == pytest.approx(row["over_minimum"], abs=0.006)
    assert figure(summary, "], ") == pytest.approx(row["overhead_ms_per_result"], abs=0.06)
    assert figure(summary, "ms wall and") == pytest.approx(row["driver_cpu_ms_per_result"], abs=0.06)
    assert figure(summary, "driver peak") == pytest.approx(row["peak_driver_mb"], abs=0.6)
    assert figure(summary, "report") == pytest.approx(row["report_s"], abs=0.06)
    assert figure(summary, "over the 12-trial median") == 1.0, "one size: its own median"
    assert f"loop over minimum {row['over_minimum']:.2f} [" in summary and "goal <= 1.15: " in summary
    assert summary.startswith("2 nodes x 2 logical CPUs, ") and "trials ran on 2 of 2 nodes" in summary
    assert row["nodes_used"] == 2 and 1 <= row["fewest_on_a_node"] <= 6


def test_scale():
    check_scale(run("scale.py"))


def check_small(out: str) -> None:
    """The break-even of tracing from its measured parts, and slot-seconds per trial from the sweep's time."""
    (case, sweep), summary = printed(out)  # smoke: one case, one 8-trial sweep of the current code
    assert case["case"] == "digits seed-cnn 64 units batch 32"
    assert 0 < case["traced_step_s"] < case["eager_step_s"] < 5 and seconds(case["trace_s"])
    gap = case["eager_step_s"] - case["traced_step_s"]
    assert case["break_even"] == pytest.approx((case["trace_s"] - case["eager_extra_s"]) / gap)
    assert figure(summary, "tracing pays for itself after") == pytest.approx(case["break_even"], abs=0.6)
    assert "goal below the smallest: met" in summary or case["break_even"] <= figure(summary, "EAGER_STEPS")
    assert sweep["code"] == "now" and seconds(sweep["sweep_s"]) and sweep["sweep_s"] < sweep["process_s"]
    assert figure(summary, "8 one-epoch trials, 2 at once:") == pytest.approx(2 * sweep["sweep_s"] / 8, abs=0.006)
    assert "goal <= 1.5" in summary and "before" not in summary, "smoke: the current code only"


def test_small():
    check_small(run("small.py"))


def check_search(out: str, storage: Path) -> None:
    """compare.csv's trials to the target and best reached per algorithm, and the model-based/random ratio."""
    summary = out.strip().splitlines()[-1]
    (folder,) = storage.glob("search-*")
    table = pd.read_csv(folder / "compare.csv")
    assert [Path(name).stem for name in table.experiment] == ["search-random", "search-hyperopt"], "smoke: random and one model-based searcher"
    assert (table.runs == 1).all(), "smoke: one seed"
    assert (table.trials_started_median == 2).all() and (table.trials_finished_median == 2).all(), "smoke: a budget of 2 trials"
    assert ((0 <= table.best_min) & (table.best_min <= table.best_median) & (table.best_median <= table.best_max) & (table.best_max <= 1)).all()
    target = table.best_max.max() - 0.01  # the best any run reached, less the tolerance
    assert table.target.to_numpy() == pytest.approx([target] * 2) and figure(summary, "target val_accuracy") == pytest.approx(target, abs=6e-5)
    reached = table.reached_target == "1/1"
    assert reached.any(), "the run that set the target reached it"
    assert table[reached].trials_to_target_median.between(1, 2).all()
    assert np.isinf(table[~reached].trials_to_target_median).all() and (table[~reached].reached_target == "0/1").all()
    random, hyperopt = table.trials_to_target_median
    assert figure(summary, "(hyperopt) / random =") == pytest.approx(hyperopt / random, abs=0.006)
    assert figure(summary, "best reached random") == pytest.approx(table.best_median[0], abs=6e-5)


def test_search(tmp_path):
    check_search(run("search.py", "--storage", str(tmp_path)), tmp_path)


def check_gpu_sweep(out: str, storage: Path) -> None:
    """One sweep per GPU share, on logical GPUs: its wall time, its throughput and the speed-up over a whole GPU."""
    sweeps, summary = printed(out)
    assert [sweep["gpu_per_trial"] for sweep in sweeps] == [0.25], "smoke: a quarter of a GPU, two trials on each"
    for sweep in sweeps:
        assert sweep["trials"] == 2 and sweep["epochs"] == 2, "smoke: 2 trials of 1 epoch"
        assert seconds(sweep["wall_s"]) and 0 <= sweep["best_val_accuracy"] <= 1
        train_images = sweep["images_per_s"] * sweep["wall_s"] / sweep["epochs"]
        assert 150 < train_images < 256, "throughput counts each epoch's training split of the 256 images"
        assert f"gpu {sweep['gpu_per_trial']:g}: {sweep['wall_s']:.0f} s, {sweep['images_per_s']:.0f} img/s" in summary
        (run_dir,) = storage.glob(f"gpu-share-{sweep['gpu_per_trial']:g}-*")
        history = pd.read_csv(run_dir / "history.csv", dtype={"gpu_ids": str})
        assert history.gpu_ids.isin(["0", "1"]).all(), "every trial ran on one of the 2 logical GPUs"
    speedups = [figure(part, "(") for part in summary.split("; ")]
    assert speedups == pytest.approx([sweeps[0]["wall_s"] / sweep["wall_s"] for sweep in sweeps], abs=0.006)


def test_gpu_sweep_on_logical_gpus(tmp_path, monkeypatch):
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)  # set (even empty), it hides logical GPUs from Ray
    check_gpu_sweep(run("gpu_sweep.py", "--num-gpus", "2", "--storage", str(tmp_path)), tmp_path)


def scored_on(accuracy: float, images: int) -> bool:
    """An accuracy some number of ``images`` right out of ``images``."""
    return 0 <= accuracy <= 1 and abs(accuracy * images - round(accuracy * images)) < 1e-3


def check_accuracy(out: str, test_images: int) -> None:
    """The seed baselines and the tuned configuration, each scored on the test images, and the final.json behind it."""
    figures = json.loads(out[out.index("{\n"):])  # smoke: the figures, as JSON
    baselines, tuned = figures["baselines"], figures["tuned"]
    assert [baseline["hidden_units"] for baseline in baselines] == [128], "smoke: the narrower baseline only"
    for baseline in baselines:
        assert baseline["train_images"] == 200 and baseline["epochs"] == 1, "smoke: 200 images, 1 epoch"
        assert scored_on(baseline["test_accuracy"], test_images) and seconds(baseline["wall_s"])
    assert tuned["experiment"] == "quickstart" and tuned["test_images"] == test_images and seconds(tuned["sweep_wall_s"])
    assert tuned["trials"] == 2 == sum(tuned["status_counts"].values()), "smoke: 2 trials"
    assert {"hidden_units", "learning_rate", "dropout"} <= set(tuned["config"]) and 1 <= tuned["epochs"] <= 2
    assert 0 < tuned["train_images"] <= 256 and scored_on(tuned["test_accuracy"], test_images)
    assert json.loads((Path(tuned["run_dir"]) / "final.json").read_text())["test_accuracy"] == tuned["test_accuracy"]


def test_accuracy(tmp_path):
    """On a tiny stand-in for the MNIST test set: the README's commands never need the real one."""
    for stem, array in (("t10k-images-idx3-ubyte", np.random.default_rng(0).integers(0, 256, (50, 28, 28))),
                        ("t10k-labels-idx1-ubyte", np.arange(50) % 10)):
        header = bytes([0, 0, 8, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
        with gzip.open(tmp_path / f"{stem}.gz", "wb") as stream:
            stream.write(header + array.astype(np.uint8).tobytes())
    out = run("accuracy.py", "--experiment", "quickstart", "--mnist-dir", str(tmp_path), "--storage", str(tmp_path / "runs"))
    check_accuracy(out, test_images=50)


def check_replay(out: str) -> None:
    """Each scheduler's replay over the smoke's orders: ratios and regrets in their possible ranges, and the
    summary printing the same medians."""
    assert out.startswith("recorded 6 trials, 18 epochs in")
    found, summary = printed(out)
    assert [f["scheduler"] for f in found] == ["asha g1 f3", "asha g3 f3", "asha g1 f4", "hyperband f3", "median g3"]
    for f in found:
        assert f["orders"] == 20
        assert 0 < f["epochs"]["p10"] <= f["epochs"]["median"] <= f["epochs"]["p90"] <= 1
        assert 0 < f["time"]["median"] <= 1.0 + 1e-9 and 0 <= f["regret_points"]["p10"] <= f["regret_points"]["p90"] <= 100
        assert figure(summary, f"{f['scheduler']} time") == pytest.approx(f["time"]["median"], abs=0.006)
    assert "6 configs x 3 epochs" in summary and "goal ASHA time <= 0.25 with p90 regret <= 0.2 pts:" in summary


def test_replay():
    check_replay(run("replay.py"))


def check_forecast(out: str) -> None:
    """One plan+run pair: the ratio divides the times it names, and the summary prints the same."""
    found, summary = printed(out)
    assert [f["case"] for f in found] == ["quickstart --smoke"]
    row = found[0]
    assert seconds(row["actual_s"]) and seconds(row["forecast_s"]) and row["forecast_p10"] <= row["forecast_s"] <= row["forecast_p90"]
    assert row["ratio"] == pytest.approx(row["actual_s"] / row["forecast_s"])
    assert row["inside"] == (row["forecast_p10"] <= row["actual_s"] <= row["forecast_p90"])
    assert 0 < row["forecast_epochs"] <= 4 and 0 < row["actual_epochs"] <= 4  # 2 trials x 2 epochs at most
    assert figure(summary, "sweep actual/forecast median") == pytest.approx(row["ratio"], abs=0.006)
    assert "1 plan+run pairs" in summary and "goal every ratio in 0.75-1.25:" in summary


def test_forecast():
    check_forecast(run("forecast.py"))
