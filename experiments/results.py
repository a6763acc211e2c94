"""A sweep's record read back: for notebooks, reports, comparisons and resume.

The writer is ``experiments.record``; this side only reads the files it leaves.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from core import statuses
from core.schema import HISTORY_COLUMNS, TRIAL_ENDS
from experiments.record.csvio import TEXT_COLUMNS, read_rows
from experiments.record.trial import latest_reports


def ended_trials(run_dir: Path) -> frozenset[str]:
    """The trials whose end the record holds (completed, stopped, diverged or errored): in results.csv
    as last compacted, or logged since."""
    compacted = {row["trial_id"] for row in read_rows(run_dir / "results.csv") if statuses.ended(row["status"])}
    return frozenset(compacted | {row["trial_id"] for row in read_rows(run_dir / TRIAL_ENDS)})


def error_message(trial) -> str:
    """The last line of a failed trial's traceback: the exception and its message."""
    text = trial.get_error() or ""
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    return lines[-1][:500] if lines else "failed without a message"


class SweepInterrupted(Exception):
    """The sweep was stopped (Ctrl-C) before its end; ``--resume`` continues it."""

    def __init__(self, result: SweepResult):
        super().__init__(f"interrupted; results so far in {result.run_dir}")
        self.result = result


@dataclass
class SweepResult:
    """What a sweep left on disk, for notebooks: ``.dataframe`` (one row per trial) and ``.best``."""

    run_dir: Path

    @cached_property
    def summary(self) -> dict[str, Any]:
        return json.loads((self.run_dir / "summary.json").read_text())

    @cached_property
    def dataframe(self):
        import pandas as pd

        return pd.read_csv(self.run_dir / "results.csv", dtype=dict.fromkeys(TEXT_COLUMNS, str))

    @cached_property
    def history(self):
        """One row per trial-epoch, also while the sweep runs: a report that repeats an epoch replaces
        the earlier one (the writer compacts the file itself at the end), and a row still being
        appended is left out."""
        import pandas as pd

        text = (self.run_dir / "history.csv").read_text()
        complete = text[: text.rfind("\n") + 1] or ",".join(HISTORY_COLUMNS) + "\n"  # a file just created is empty
        frame = pd.read_csv(io.StringIO(complete), dtype=dict.fromkeys(TEXT_COLUMNS, str))
        kept = latest_reports(zip(frame.trial_id, frame.restored_from.fillna(""), frame.epoch))
        return frame.iloc[kept].reset_index(drop=True)

    @cached_property
    def importance(self):
        """Which hyperparameters mattered: one row per hyperparameter that varied, its fANOVA share of the
        metric's variance, most important first (``experiments.importance``); ``.attrs["note"]`` says over
        which trials, or why there are no rows."""
        from experiments.importance import importance_table
        from experiments.tables import Sweep

        return importance_table(Sweep(self))

    @property
    def best(self) -> dict[str, Any] | None:
        return self.summary["best"]

    @property
    def final(self) -> dict[str, Any] | None:
        """The best configuration retrained and scored on the test split, when the spec asked for it."""
        return self._optional("final.json")

    @property
    def finalists(self) -> dict[str, Any] | None:
        """The top configurations re-validated under other seeds, when the spec asked for it
        (``final.finalists``): each one's scores, and the one picked by their mean."""
        return self._optional("finalists.json")

    @property
    def plan(self) -> dict[str, Any] | None:
        """The forecast ``cnn-tune plan`` wrote before the sweep, if it was planned."""
        return self._optional("plan.json")

    @property
    def front(self):
        """The Pareto front of a sweep of two objectives (``metric: [val_accuracy, params]``; None for one):
        a row per trial no other beats on both, from the cheapest, with both values, its epoch and its
        hyperparameters (pandas)."""
        import pandas as pd

        points = self.summary.get("front")
        if points is None:
            return None
        return pd.DataFrame([{"trial_id": p["trial_id"], "epoch": p["epoch"], **p["metrics"], **p["config"]} for p in points])

    def _optional(self, name: str) -> dict[str, Any] | None:
        """A JSON file of the run's that only some runs write, or None."""
        path = self.run_dir / name
        return json.loads(path.read_text()) if path.is_file() else None

    def __repr__(self) -> str:
        counts = statuses.counted(self.summary["status_counts"])
        best = self.best
        line = f"{best['metrics'].get(self.summary['metric'])} ({self.summary['metric']})" if best else "none"
        return f"SweepResult({self.run_dir}: {self.summary['trials']} trials [{counts}], best {line})"


def load_results(run_dir: str | Path) -> SweepResult:
    return SweepResult(Path(run_dir).expanduser())
