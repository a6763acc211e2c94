"""What ``--resume`` accepts: the spec the run started with, and one driver at a time.

A resumed sweep runs on Ray Tune's pickled state (searcher, scheduler, stop rules,
callbacks) with a trainable built from the spec given now, so a changed spec would be
half applied while manifest.json recorded it whole: only keys that change nothing the
search does may differ. Two drivers writing one run would interleave its record, so a
driver holds the run's lock file for the sweep's whole life, new or resumed.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

from core.errors import InputError
from experiments.spec import Spec
from experiments.storage import RunLocation

LOCK_FILE = "driver.lock"

# Keys (and whole sections) that may change on resume, and why that is safe.
SAFE_ON_RESUME = {
    "auto": "how search.algorithm and scheduler.name were chosen, which are compared themselves",
    "description": "a label; nothing reads it",
    "checkpoint.every": "when trials checkpoint for failures: the resumed trainable follows the spec given now, results are the same",
    "checkpoint.interval_s": "when trials checkpoint for failures: the resumed trainable follows the spec given now, results are the same",
    "final": "the retrain runs after the search, from the spec given now, and changes nothing in the search",
    "storage": "where the run is looked for: a run found there is the same run, reached by another path or moved",
    "storage_shared": "says what that storage is; checked against the cluster at every start",
}
_UNSET = object()


def changed_keys(old: Any, new: Any, prefix: str = "") -> list[tuple[str, Any, Any]]:
    """(dotted key, old value, new value) of every leaf that differs, in the new spec's order."""
    if isinstance(old, dict) and isinstance(new, dict):
        keys = [*new, *(key for key in old if key not in new)]
        return [change for key in keys for change in changed_keys(old.get(key, _UNSET), new.get(key, _UNSET), f"{prefix}{key}.")]
    return [] if old == new else [(prefix.rstrip("."), old, new)]


def _safe(key: str) -> bool:
    return any(key == safe or key.startswith(f"{safe}.") for safe in SAFE_ON_RESUME)


def _retired(key: str, new: Any) -> bool:
    """A setting this version of cnn-tune no longer has (a run recorded by an older one): nobody can have
    changed it. A hyperparameter gone from an inline space is a real change."""
    return new is _UNSET and not key.startswith("space.")


def _show(value: Any) -> str:
    return "(unset)" if value is _UNSET else json.dumps(value)


def recorded_spec(run_dir: Path) -> dict[str, Any] | None:
    """The spec the run started with: summary.json's, or manifest.json's if the driver died before the first summary."""
    for name in ("summary.json", "manifest.json"):
        path = run_dir / name
        spec = json.loads(path.read_text()).get("spec") if path.is_file() else None
        if spec is not None:
            return spec
    return None


def check_unchanged(spec: Spec, run_dir: Path) -> None:
    """Refuse a resume whose spec differs from the recorded one in any key not safe to change."""
    recorded = recorded_spec(run_dir)
    if recorded is None:  # no record of the spec to hold it to: Tune's own state is what resumes
        return
    changes = [
        f"{key} {_show(old)} → {_show(new)}"
        for key, old, new in changed_keys(recorded, spec.as_data())
        if not _safe(key) and not _retired(key, new)
    ]
    if changes:
        raise InputError(
            f"--resume: the spec changed since the run started: {', '.join(changes)}; "
            "resume with the same settings, or start another run with --name"
        )


def _alive(holder: dict[str, Any]) -> bool | None:
    """Whether the holder's process still runs; None when it is on another host, where this one cannot look."""
    if holder.get("host") != socket.gethostname():
        return None
    try:
        os.kill(int(holder["pid"]), 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


class RunLock:
    """The run's lock file: its holder's host, pid and start time, created with O_CREAT|O_EXCL."""

    def __init__(self, path: Path, field: str = "name") -> None:
        self.path, self.field = path, field  # field: what a refusal names (--resume, or the run's name)
        started = datetime.now(timezone.utc).isoformat(timespec="seconds")
        self.mine = {"host": socket.gethostname(), "pid": os.getpid(), "started": started}

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def acquire(self) -> None:
        while True:
            try:
                descriptor = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                holder = self._holder(self.path)
                if holder is not None:  # None: released meanwhile, try again
                    self._refuse_or_take_over(holder)
                continue
            with os.fdopen(descriptor, "w") as file:
                file.write(json.dumps(self.mine))
            return

    def release(self) -> None:
        if self._holder(self.path) == self.mine:
            self.path.unlink(missing_ok=True)

    def _holder(self, path: Path) -> dict[str, Any] | None:
        """The holder a lock file names; None once it is gone. A lock read in the instant between its
        creation and its first write is empty: read it again."""
        for _ in range(40):
            try:
                holder = json.loads(path.read_text())
                if isinstance(holder, dict) and {"host", "pid"} <= holder.keys():
                    return holder
            except FileNotFoundError:
                return None
            except ValueError:
                pass
            time.sleep(0.05)
        raise InputError(f"{self.field}: {path} is not a lock cnn-tune wrote; delete it if no driver runs this sweep")

    def _refuse_or_take_over(self, holder: dict[str, Any]) -> None:
        who = f"host {holder.get('host')}, pid {holder.get('pid')}, since {holder.get('started')}"
        alive = _alive(holder)
        if alive:
            raise InputError(
                f"{self.field}: another driver is running this sweep ({who}; lock file {self.path}); "
                "wait for it to end, or delete the lock file if that process is not a cnn-tune driver"
            )
        if alive is None:
            raise InputError(
                f"{self.field}: a driver on another host holds this sweep ({who}; lock file {self.path}) "
                "and it cannot be checked from here; if you know that driver has stopped, delete the lock file and run again"
            )
        # Move the stale file aside (atomic: one contender wins it); had another driver replaced it
        # with its own lock in between, put that back.
        grabbed = self.path.with_name(f"{self.path.name}.stale-{os.getpid()}")
        try:
            os.rename(self.path, grabbed)
        except FileNotFoundError:
            return
        if self._holder(grabbed) == holder:
            print(f"cnn-tune: taking over the lock of a driver that is gone ({who}): {self.path}", file=sys.stderr)
        else:
            with contextlib.suppress(FileExistsError):
                os.link(grabbed, self.path)
        grabbed.unlink()


@contextlib.contextmanager
def holding_run(spec: Spec, location: RunLocation, resume: bool) -> Iterator[None]:
    """Hold the run's lock while the sweep runs; on resume, first fetch the record and refuse a changed spec.

    A start refused before it wrote anything leaves no folder behind."""
    created = [folder for folder in (location.local, *location.local.parents) if not folder.exists()]
    location.local.mkdir(parents=True, exist_ok=True)
    try:
        with RunLock(location.local / LOCK_FILE, "--resume" if resume else "name"):
            if resume:
                location.fetch()
                check_unchanged(spec, location.local)
            yield
    finally:
        for folder in created:
            with contextlib.suppress(OSError):  # not empty: the sweep (or another driver) wrote there
                folder.rmdir()
