"""Accuracy bar: does tuning on the bundled 5,000-image MNIST subset beat the seed CNN on real MNIST?

Reference: the seed CNN at learning rate 0.001 (hidden units 128 and 512), trained on 4,000 of
the bundled images for 10 epochs. Tuned: a cnn-tune experiment (default seed-full) searched on
the bundled images; its final step retrains the best configuration on all 5,000 and scores it
once on the real MNIST test set (10,000 images), which the search never saw.

    python benchmarks/accuracy.py [--experiment seed-full] [--mnist-dir ../shared/datasets/mnist]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import ROOT, SHARED_MNIST, cnn_tune, python, record, timed_process  # noqa: E402

BASELINE_WIDTHS = (128, 512)


def seed_baseline(hidden_units: int, images: int, epochs: int, mnist_dir: str) -> dict:
    """The seed's plain Keras loop, all cores, no tuning: one width, learning rate 0.001, batch 32."""
    from trainables import backend

    backend.configure(cpus=None, gpus=0)
    import keras

    from trainables.cnn import TrainSettings, build_model
    from trainables.data import load_split, prepare
    from trainables.hyperparameters import Hyperparameters

    data = prepare("mnist-5k", limit=images, seed=0)
    test = load_split("mnist", "test", mnist_dir)
    keras.utils.set_random_seed(0)
    model = build_model(Hyperparameters(hidden_units=hidden_units, learning_rate=1e-3, batch_size=32), TrainSettings(), data.input_shape, 10)
    model.fit(data.pool.x, data.pool.y, batch_size=32, epochs=epochs, verbose=0)
    loss, accuracy = model.evaluate(test.x, test.y, verbose=0)
    return {"hidden_units": hidden_units, "train_images": images, "epochs": epochs, "test_accuracy": accuracy}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--experiment", default="seed-full")
    parser.add_argument("--mnist-dir", default=str(SHARED_MNIST), help="folder with the MNIST test set (IDX or mnist.npz)")
    parser.add_argument("--storage", default=str(ROOT / "benchmarks" / "runs"))
    parser.add_argument("--smoke", action="store_true", help="seconds-long check that the script works; records nothing")
    parser.add_argument("--baseline-child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    images, epochs = (200, 1) if args.smoke else (4000, 10)

    if args.baseline_child:
        print(json.dumps(seed_baseline(args.baseline_child, images, epochs, args.mnist_dir)))
        return

    baselines = []
    for width in BASELINE_WIDTHS[:1] if args.smoke else BASELINE_WIDTHS:  # smoke: one baseline process
        child = python(__file__, "--baseline-child", str(width), "--mnist-dir", args.mnist_dir) + (["--smoke"] if args.smoke else [])
        seconds, out = timed_process(child)
        baselines.append({**json.loads(out.strip().splitlines()[-1]), "wall_s": round(seconds, 1)})

    name = f"accuracy-{args.experiment}-{time.strftime('%Y%m%d-%H%M%S')}"
    run = cnn_tune("run", args.experiment, "--set", "dataset.test=mnist:test", "--set", "final.enabled=true",
                   "--storage", args.storage, "--name", name, "--verbose", "0") + (["--smoke"] if args.smoke else [])
    seconds, _ = timed_process(run, env={"CNN_TUNE_MNIST_DIR": args.mnist_dir})
    run_dir = Path(args.storage) / (f"{name}-smoke" if args.smoke else name)
    final = json.loads((run_dir / "final.json").read_text())
    summary_json = json.loads((run_dir / "summary.json").read_text())

    figures = {
        "baselines": baselines,
        "tuned": {
            "experiment": args.experiment,
            "test_accuracy": final["test_accuracy"],
            "config": final["config"],
            "epochs": final["epochs"],
            "train_images": final["train_images"],
            "test_images": final["test_images"],
            "trials": summary_json["trials"],
            "status_counts": summary_json["status_counts"],
            "sweep_wall_s": round(seconds, 1),
            "run_dir": str(run_dir),
        },
    }
    best_baseline = max(b["test_accuracy"] for b in baselines)
    summary = (
        f"tuned ({args.experiment}, {summary_json['trials']} trials, {seconds / 60:.1f} min): "
        f"{final['test_accuracy']:.4f} on {final['test_images']} real MNIST test images vs seed CNN "
        + ", ".join(f"h{b['hidden_units']}: {b['test_accuracy']:.4f}" for b in baselines)
        + f" (gain {100 * (final['test_accuracy'] - best_baseline):+.2f} points)"
    )
    if args.smoke:
        print(json.dumps(figures, indent=2))
        return
    record("accuracy", figures, summary)


if __name__ == "__main__":
    main()
