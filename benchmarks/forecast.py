"""How close `cnn-tune plan` comes (issue 14, item 1): forecast against actual on the shipped experiments.

Protocol (written 2026-12-06 before the first run; run on a quiet machine, nothing else running):
- Workload: every shipped experiment (`cnn-tune list`) with `--smoke` (2 trials, 2 epochs, 256
  images), and in full those that fit this 2-core machine in minutes: quickstart (8 trials x 6 epochs,
  ASHA) and seed-bayesopt (5 trials x 10 epochs, FIFO, final retrain). colour-digits runs on the
  images its README makes (examples/colour_digits/make_data.py, 30 per digit). The others in full
  (60-100 trials, some with 3 folds) take hours here: not run, and the row says so.
- Compared: for each, `cnn-tune plan EXP` then `cnn-tune run EXP` under the same name and storage,
  whole processes one after the other, the plan's forecast against the run's record.
- Repeats: quickstart in full 3 times (plan and run each time); every other case once.
- Statistic per run: the sweep's running time (summary.json `running_s`) over the forecast's median
  (`plan.json` forecast.sweep_s), whether it falls inside the forecast's 10-90% range, the epochs
  trained against the forecast's; the whole `cnn-tune run` process against the forecast's `whole_s`,
  reported, not a goal. Over the cases: the median ratio with its range.
- Goal (issue 14): every case's sweep ratio within 0.75-1.25; "met" only when all are.

    python benchmarks/forecast.py            # about 15 minutes here
    python benchmarks/forecast.py --smoke    # quickstart's smoke on digits only, one CPU; records nothing
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import cnn_tune, record, timed_process  # noqa: E402
from experiments.spec import experiment_names  # noqa: E402

FULL = {"quickstart": 3, "seed-bayesopt": 1}
LOW, HIGH = 0.75, 1.25
DIGITS = ["--set", "dataset={name: digits, limit: 300, validation: 0.2, seed: 0}"]


def planned_run(experiment: str, extra: list[str], storage: Path, name: str) -> dict:
    where = ["--storage", str(storage), "--name", name, *extra]
    timed_process(cnn_tune("plan", experiment, *where))
    whole_s, _ = timed_process(cnn_tune("run", experiment, "--verbose", "0", *where))
    run_dir = storage / (f"{name}-smoke" if "--smoke" in extra else name)
    plan = json.loads((run_dir / "plan.json").read_text())
    summary = json.loads((run_dir / "summary.json").read_text())
    sweep, forecast = plan["forecast"]["sweep_s"], plan["forecast"]
    return {
        "case": f"{experiment}{' --smoke' if '--smoke' in extra else ''}",
        "forecast_s": sweep["median"], "forecast_p10": sweep["p10"], "forecast_p90": sweep["p90"],
        "actual_s": summary["running_s"], "ratio": summary["running_s"] / sweep["median"],
        "inside": sweep["p10"] <= summary["running_s"] <= sweep["p90"],
        "forecast_epochs": plan["simulation"]["epochs"]["median"], "actual_epochs": summary["epochs_total"],
        "whole_forecast_s": forecast["whole_s"], "whole_actual_s": whole_s, "whole_ratio": whole_s / forecast["whole_s"],
    }


def cases(smoke: bool, colour_digits: Path) -> list[tuple[str, list[str]]]:
    if smoke:
        return [("quickstart", ["--smoke", *DIGITS, "--num-cpus", "1"])]  # one trial actor: a check, not a figure
    folder = ["--set", f"dataset.path={colour_digits}"]
    listed = [(name, ["--smoke", *(folder if name == "colour-digits" else [])]) for name in experiment_names()]
    return listed + [(name, []) for name, repeats in FULL.items() for _ in range(repeats)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="quickstart's smoke on digits only, one CPU; records nothing")
    args = parser.parse_args()
    storage = Path(tempfile.mkdtemp(prefix="forecast-"))
    from examples.colour_digits.make_data import write

    colour_digits = write(storage / "colour-digits", per_class=30)
    rows = []
    for number, (experiment, extra) in enumerate(cases(args.smoke, colour_digits)):
        rows.append(planned_run(experiment, extra, storage, f"run{number}"))
        print(json.dumps(rows[-1]), flush=True)
    ratios = [row["ratio"] for row in rows]
    outside = [row["case"] for row in rows if not LOW <= row["ratio"] <= HIGH]
    verdict = "met" if not outside else f"missed ({len(outside)} of {len(rows)} outside: {', '.join(outside)})"
    said = "; ".join(f"{row['case']} {row['actual_s']:.0f}/{row['forecast_s']:.0f} s = {row['ratio']:.2f}"
                     f"{'' if row['inside'] else ' (outside p10-p90)'}" for row in rows)
    summary = (f"{len(rows)} plan+run pairs, sweep actual/forecast median {statistics.median(ratios):.2f} "
               f"[{min(ratios):.2f}-{max(ratios):.2f}]; whole process median "
               f"{statistics.median(row['whole_ratio'] for row in rows):.2f}; {said}; goal every ratio in "
               f"{LOW}-{HIGH}: {verdict}; not run in full here: "
               f"{', '.join(name for name in experiment_names() if name not in FULL)}")
    shutil.rmtree(storage, ignore_errors=True)
    record("forecast", {"rows": rows}, summary, smoke=args.smoke)


if __name__ == "__main__":
    main()
