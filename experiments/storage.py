"""Where a run lives: a local (or NFS) folder, or a URI such as ``s3://bucket/prefix``.

Ray Tune writes its own state and the checkpoints there directly. The sweep's record
(results.csv, history.csv, summary.json, ...) is written to a local folder first and,
for a URI, uploaded after every flush, so a reader of the bucket sees it as it grows.
A comparison's folder is a location too: its runs live in it, and its files are uploaded the same way.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from core.schema import TRIAL_ENDS

RECORD_FILES = (
    "results.csv",
    "history.csv",
    TRIAL_ENDS,
    "summary.json",
    "manifest.json",
    "final.json",
    "finalists.json",
    "plan.json",
    "best_model.keras",
    "report.html",
    "history.png",
    "best_so_far.png",
    "learning_curves.png",
    "stops.png",
    "parallel_coordinates.png",
    "hyperparameters.png",
    "marginals.png",
)


_PUBLISHED: dict[tuple[str, str], tuple[int, int]] = {}  # (run URI, file) → (size, mtime) last uploaded by this process


def _stamp(path: Path) -> tuple[int, int]:
    status = path.stat()
    return status.st_size, status.st_mtime_ns


def is_uri(storage: str) -> bool:
    return "://" in storage


@dataclass(frozen=True)
class RunLocation:
    uri: str  # the run's folder as Ray sees it: an absolute path, or a URI
    local: Path  # where the record is written on this machine

    @property
    def remote(self) -> bool:
        return is_uri(self.uri)

    @property
    def storage_path(self) -> str:
        return self.uri.rsplit("/", 1)[0]

    @property
    def name(self) -> str:
        return self.uri.rsplit("/", 1)[1]

    def has_sweep(self) -> bool:
        from ray import tune

        return tune.Tuner.can_restore(self.uri)

    def publish(self, names: Iterable[str] = RECORD_FILES) -> None:
        """Upload those of ``names`` that exist and changed since this driver last uploaded them, next
        to Ray's state: every flush, only the files the flush rewrote or appended to travel."""
        if not self.remote:
            return
        import pyarrow.fs as pafs

        changed = [name for name in names if (self.local / name).is_file() and _stamp(self.local / name) != _PUBLISHED.get((self.uri, name))]
        if not changed:
            return
        filesystem, base = pafs.FileSystem.from_uri(self.uri)
        filesystem.create_dir(base, recursive=True)
        for name in changed:
            stamp = _stamp(self.local / name)  # before the copy: a write during it makes the next flush upload again
            pafs.copy_files(str(self.local / name), f"{base}/{name}", destination_filesystem=filesystem)
            _PUBLISHED[(self.uri, name)] = stamp

    def fetch(self) -> None:
        """Download the record of a remote run (to resume it or report on it from here)."""
        if not self.remote:
            return
        import pyarrow.fs as pafs

        filesystem, base = pafs.FileSystem.from_uri(self.uri)
        self.local.mkdir(parents=True, exist_ok=True)
        for name in RECORD_FILES:
            if filesystem.get_file_info(f"{base}/{name}").type == pafs.FileType.File:
                pafs.copy_files(f"{base}/{name}", str(self.local / name), source_filesystem=filesystem)


def location_of_run(run: str) -> RunLocation:
    """A run given as its own folder or URI (``results/quickstart``, ``s3://bucket/runs/quickstart``)."""
    storage, _, name = run.rstrip("/").rpartition("/")
    return run_location(storage or ".", name)


def run_location(storage: str, name: str) -> RunLocation:
    if is_uri(storage):
        uri = f"{storage.rstrip('/')}/{name}"
        digest = hashlib.sha1(uri.encode()).hexdigest()[:8]
        return RunLocation(uri, Path.home() / ".cache" / "cnn-tune" / "runs" / f"{name}-{digest}")
    folder = Path(storage).expanduser().resolve() / name
    return RunLocation(str(folder), folder)
