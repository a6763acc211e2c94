"""What every figure shares: the file-only backend, the colours of how trials ended, saving."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the file-only backend)

from core import statuses  # noqa: E402

STATUS_COLORS = {
    statuses.COMPLETED: "tab:green",
    statuses.STOPPED_EARLY: "tab:orange",
    statuses.DIVERGED: "tab:red",
    statuses.ERRORED: "tab:gray",
    statuses.RUNNING: "tab:blue",
}


def save(figure, path: Path) -> Path:
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path
