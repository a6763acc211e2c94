"""GPU sharing: the same 8-trial sweep at 1, 1/4 and 1/8 of a GPU per trial.

Each sweep trains the seed CNN on the bundled MNIST subset (5,000 28×28 images:
4,000 train, 1,000 validation), 3 epochs per trial, FIFO, no early stops, so every
sweep does the same work. Prints and records each sweep's wall time and its aggregate
training throughput (images per second, all trials together).

    KERAS_BACKEND=jax python benchmarks/gpu_sweep.py        # on a GPU machine
    python benchmarks/gpu_sweep.py --smoke --num-gpus 2     # anywhere: logical GPUs, tiny data
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import ROOT, record  # noqa: E402

SHARES = (1.0, 0.25, 0.125)


def sweep(share: float, trials: int, epochs: int, images: int | None, stamp: str, storage: str, num_gpus: int | None) -> dict:
    """One FIFO sweep at ``share`` of a GPU per trial: its wall time and aggregate images per second."""
    import experiments
    from experiments.tuner import prepare_data

    started = time.perf_counter()
    result = experiments.run(
        {"name": f"gpu-share-{share:g}-{stamp}", "space": "quickstart"},
        storage=storage, num_gpus=num_gpus, verbose=0,
        resources={"cpu": 1 if share == 1 else 0.5, "gpu": share},
        search={"num_samples": trials, "seed": 0}, scheduler={"name": "fifo"},
        train={"max_epochs": epochs}, dataset={"limit": images},
    )
    wall = time.perf_counter() - started
    train_images = len(prepare_data(experiments.validate(result.summary["spec"])).folds[0][0])
    trained = len(result.history) * train_images
    return {
        "gpu_per_trial": share, "trials": len(result.dataframe), "epochs": int(len(result.history)),
        "wall_s": round(wall, 1), "images_per_s": round(trained / wall, 1),
        "best_val_accuracy": result.best["metrics"]["val_accuracy"] if result.best else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--storage", default=str(ROOT / "benchmarks" / "runs"))
    parser.add_argument("--num-gpus", type=int, default=None, help="GPUs of the local Ray instance (default: detected)")
    parser.add_argument("--trials", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--smoke", action="store_true", help="2 trials, 256 images, 1 epoch, a quarter GPU each; records nothing")
    args = parser.parse_args()

    from experiments.ray_start import ray_session

    images, epochs = (256, 1) if args.smoke else (None, args.epochs)
    trials = 2 if args.smoke else args.trials
    stamp = time.strftime("%Y%m%d-%H%M%S")
    sweeps = []
    with ray_session(None, None, args.num_gpus):  # one Ray instance: the sweeps differ only in their shares
        for share in SHARES[1:2] if args.smoke else SHARES:  # smoke: the fractional share only
            sweeps.append(sweep(share, trials, epochs, images, stamp, args.storage, args.num_gpus))
            print(json.dumps(sweeps[-1]), flush=True)
    base = sweeps[0]["wall_s"]
    summary = "; ".join(
        f"gpu {s['gpu_per_trial']:g}: {s['wall_s']:.0f} s, {s['images_per_s']:.0f} img/s ({base / s['wall_s']:.2f}x)" for s in sweeps
    )
    if args.smoke:
        print(summary)
        return
    import keras

    record("gpu-sharing", {"sweeps": sweeps}, summary, variables=f"KERAS_BACKEND={keras.backend.backend()}")


if __name__ == "__main__":
    main()
