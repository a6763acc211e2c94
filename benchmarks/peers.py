"""cnn-tune against the tools its users already know, on one machine (issue 11, "How it is judged").

Protocol, written 2026-12-03 before the first run:
- Workload: the seed CNN (`trainables.models.seed_cnn`, the same Keras code for every tool,
  Adam, sparse cross-entropy) on mnist-5k limited to 2,000 images: the same 1,600 training /
  400 validation images for every tool (`trainables.data.prepare`, seed 0), scaled to [0, 1].
- Space (the issue's): hidden_units integer 64-1024 uniform, learning_rate log-uniform 1e-4 to
  1e-1, batch_size one of 32, 64, 128.
- Budget: 144 epochs in all, at most 9 per trial, for every tool: each stops its search once
  144 epochs were trained (cnn-tune: `stop.epochs_budget`; the peers: a callback counting epochs).
- Tools, each set up as its documentation does it, each in its own process using both cores:
  (a) cnn-tune: random search with ASHA (grace 1, factor 3), `resources.cpu: auto`
      (benchmarks/experiments/peers.yaml);
  (b) KerasTuner 1.4.8 RandomSearch, 16 trials x 9 epochs;
  (c) KerasTuner Hyperband, max_epochs 9, factor 3;
  (d) Optuna TPE with a successive-halving pruner (min resource 1, factor 3), one trial at a time.
  The peers train one trial at a time with TensorFlow's default threads (both cores).
- Repeats and order: 3 repeats with search seeds 1, 2, 3 (KerasTuner treats 0 as unseeded); the
  order of the four tools rotates each repeat.
- Statistics, median [min-max] over repeats: whole-process wall seconds (start-up, imports, data
  and the tool's own files included); cnn-tune's wall over the fastest peer's in the same repeat;
  best validation accuracy (cnn-tune minus the best peer, points); seconds from process start to
  the first epoch at or above the target T = 0.97 validation accuracy (388 of 400 images), a run
  that never reaches it counting as infinite; fixed before the first run, below the issue's 0.98
  since these trials see 1,600 training images, not 4,000. In how many repeats cnn-tune reached
  T before every peer.
- Goals: cnn-tune <= 0.8 x the fastest peer's wall time, best accuracy not below the best peer's
  by more than 0.3 points (one image is 0.25), and a shorter time to T than every peer.
Amended 2026-12-07, before any run under it: the interval is the bootstrap one (benchmarks/README.md).

    python benchmarks/peers.py [--repeats 3]
    python benchmarks/peers.py --smoke    # 300 images, 4 epochs in all, 2 per trial, once; records nothing

KerasTuner is not a dependency of cnn-tune: `pip install -c constraints.txt -e '.[peers]'`.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import ROOT, python, record, run_sweep, shown, spread, timed_process, verdict  # noqa: E402

EXPERIMENT = ROOT / "benchmarks" / "experiments" / "peers.yaml"
TOOLS = ("cnn-tune", "kerastuner-random", "kerastuner-hyperband", "optuna-tpe-sha")
TARGET = 0.97
WIDTH, LEARNING_RATE, BATCH_SIZES = (64, 1024), (1e-4, 1e-1), [32, 64, 128]  # the space, as peers.yaml states it
FULL = {"limit": 2000, "budget": 144, "epochs": 9}
SMOKE = {"limit": 300, "budget": 4, "epochs": 2}


class Budget:
    """Every epoch a peer trains, timed from process start; says when the sweep's budget is spent."""

    def __init__(self, epochs: int, out: Path):
        self.left, self.out = epochs, out.open("a")
        self.started = float(os.environ["PEERS_STARTED"])

    def epoch_done(self, val_accuracy: float) -> bool:
        self.out.write(json.dumps({"t": time.time() - self.started, "val_accuracy": val_accuracy}) + "\n")
        self.out.flush()
        self.left -= 1
        return self.left <= 0


def peer(tool: str, seed: int, sizes: dict, out: Path) -> None:
    """Run one peer in this process, on the images cnn-tune sees, writing each epoch to ``out``."""
    import keras

    from trainables.cnn import TrainSettings, build_model
    from trainables.data import prepare
    from trainables.hyperparameters import Hyperparameters

    data = prepare("mnist-5k", validation=0.2, seed=0, limit=sizes["limit"])
    ((train, val),) = data.folds
    x, y, xv, yv = data.pool.take(train).x, data.pool.y[train], data.pool.take(val).x, data.pool.y[val]
    budget, epochs = Budget(sizes["budget"], out), sizes["epochs"]
    keras.utils.set_random_seed(seed)

    def model(hidden_units: int, learning_rate: float):
        hp = Hyperparameters(hidden_units=hidden_units, learning_rate=learning_rate)
        return build_model(hp, TrainSettings(), data.input_shape, data.num_classes)

    if tool.startswith("kerastuner"):
        import keras_tuner

        class Spent(keras.callbacks.Callback):
            def on_epoch_end(self, epoch, logs=None):
                if budget.epoch_done(logs["val_accuracy"]):
                    raise keras_tuner.errors.FatalError("epoch budget spent")

        class HyperModel(keras_tuner.HyperModel):
            def build(self, hp):
                return model(hp.Int("hidden_units", *WIDTH), hp.Float("learning_rate", *LEARNING_RATE, sampling="log"))

            def fit(self, hp, built, *args, **kwargs):
                return built.fit(*args, batch_size=hp.Choice("batch_size", BATCH_SIZES), **kwargs)

        common = {"objective": "val_accuracy", "seed": seed, "directory": tempfile.mkdtemp(), "project_name": tool}
        if tool == "kerastuner-random":
            tuner = keras_tuner.RandomSearch(HyperModel(), max_trials=sizes["budget"] // epochs, **common)
        else:
            tuner = keras_tuner.Hyperband(HyperModel(), max_epochs=epochs, factor=3, hyperband_iterations=100, **common)
        try:
            tuner.search(x, y, epochs=epochs, validation_data=(xv, yv), callbacks=[Spent()], verbose=0)
        except keras_tuner.errors.FatalError:
            pass
        return

    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=seed),
                                pruner=optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3))

    def objective(trial: optuna.Trial) -> float:
        built = model(trial.suggest_int("hidden_units", *WIDTH), trial.suggest_float("learning_rate", *LEARNING_RATE, log=True))
        seen: list[float] = []

        class Report(keras.callbacks.Callback):
            def on_epoch_end(self, epoch, logs=None):
                seen.append(logs["val_accuracy"])
                trial.report(seen[-1], epoch + 1)
                if budget.epoch_done(seen[-1]):
                    study.stop()
                    self.model.stop_training = True
                elif trial.should_prune():
                    self.model.stop_training = True

        built.fit(x, y, batch_size=trial.suggest_categorical("batch_size", BATCH_SIZES), epochs=epochs,
                  validation_data=(xv, yv), callbacks=[Report()], verbose=0)
        if len(seen) < epochs and budget.left > 0:
            raise optuna.TrialPruned()
        return max(seen)

    study.optimize(objective)


def run_tool(tool: str, seed: int, sizes: dict, smoke: bool) -> dict:
    """One whole process: wall seconds, and every epoch's (seconds from process start, val_accuracy)."""
    if tool == "cnn-tune":
        extra = ["--set", f"dataset.limit={sizes['limit']}", "--set", f"stop.epochs_budget={sizes['budget']}",
                 "--set", f"train.max_epochs={sizes['epochs']}", "--set", f"search.seed={seed}"]
        wall, _, history, _, started = run_sweep(EXPERIMENT, *extra)
        epochs = [{"t": datetime.fromisoformat(row.timestamp).timestamp() - started, "val_accuracy": row.val_accuracy}
                  for row in history.itertuples()]
    else:
        with tempfile.TemporaryDirectory() as work:
            out = Path(work) / "epochs.jsonl"
            args = ["--peer", tool, "--seed", str(seed), "--out", str(out), *(["--smoke"] if smoke else [])]
            wall, _ = timed_process(python(__file__, *args), env={"PEERS_STARTED": repr(time.time())})
            epochs = [json.loads(line) for line in out.read_text().splitlines()]
    reached = [e["t"] for e in epochs if e["val_accuracy"] >= TARGET]
    return {"wall_s": wall, "epochs": len(epochs), "best": max(e["val_accuracy"] for e in epochs),
            "to_target_s": min(reached) if reached else None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--smoke", action="store_true", help="300 images, 4 epochs in all, once; records nothing")
    parser.add_argument("--peer", choices=TOOLS[1:], help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    sizes = SMOKE if args.smoke else FULL
    if args.peer:
        peer(args.peer, args.seed, sizes, args.out)
        return
    repeats = 1 if args.smoke else args.repeats
    runs: list[dict] = []
    for repeat in range(repeats):
        order = TOOLS[repeat % len(TOOLS):] + TOOLS[: repeat % len(TOOLS)]
        runs.append({tool: run_tool(tool, repeat + 1, sizes, args.smoke) for tool in order})
        print(json.dumps({"repeat": repeat, **runs[-1]}), flush=True)
    figures = summarise(runs)
    said = (f"{sizes['budget']} epochs each: cnn-tune / fastest peer wall {verdict(figures['over_fastest_peer'], 0.8)}; "
            + ", ".join(f"{tool} {figures[tool]['wall_s']['median']:.0f} s" for tool in TOOLS)
            + f"; best val_accuracy cnn-tune minus best peer {shown(figures['best_gap_points'], '+.2f')} points; "
            + f"median seconds to {TARGET}: " + ", ".join(f"{tool} {figures[tool]['to_target_s']['median']:.0f} "
                                                          f"({figures[tool]['reached']}/{repeats} reached)" for tool in TOOLS)
            + f"; cnn-tune first to {TARGET} in {figures['first_to_target']}/{repeats} repeats")
    record("peers", {"runs": runs, **figures}, f"{repeats} repeats: {said}", smoke=args.smoke)


def summarise(runs: list[dict]) -> dict:
    """Per tool: wall, best and time to target over repeats; cnn-tune against the peers, per repeat."""
    def to_target(run: dict, tool: str) -> float:
        return math.inf if run[tool]["to_target_s"] is None else run[tool]["to_target_s"]

    figures: dict = {}
    for tool in TOOLS:
        times = [to_target(run, tool) for run in runs]
        figures[tool] = {"wall_s": spread([run[tool]["wall_s"] for run in runs]),
                         "best": spread([run[tool]["best"] for run in runs]),
                         "to_target_s": spread(times), "reached": sum(t < math.inf for t in times)}
    figures["first_to_target"] = sum(to_target(run, "cnn-tune") < min(to_target(run, t) for t in TOOLS[1:]) for run in runs)
    figures["over_fastest_peer"] = spread([run["cnn-tune"]["wall_s"] / min(run[t]["wall_s"] for t in TOOLS[1:]) for run in runs])
    figures["best_gap_points"] = spread([100 * (run["cnn-tune"]["best"] - max(run[t]["best"] for t in TOOLS[1:])) for run in runs])
    return figures


if __name__ == "__main__":
    main()
