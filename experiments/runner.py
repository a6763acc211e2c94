"""Spec → Tuner → results: everything that needs Ray happens here, after validation.

Data is loaded and resources checked before Ray starts, so bad input costs no
cluster time. A local run starts its own Ray instance on loopback only. ``resources.cpu:
auto`` is made a number once Ray's nodes are known, and that number is what the run records.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from datetime import datetime, timezone
from typing import Callable, Iterator

from core import statuses
from core.errors import InputError
from experiments.capacity import (
    autoscaled_nodes,
    check_fits,
    check_shared_storage,
    cpu_as_recorded,
    fitting_local_cpus,
    largest,
    live_nodes,
    queue_limit,
    resolve_cpu,
)
from experiments.final import start_final
from experiments.finalists import run_finalists
from experiments.front import FrontLimitUnmet, front_choice
from experiments.manifest import environment
from experiments.ray_start import ray_session
from experiments.report import draw_figures, write_report
from experiments.results import SweepInterrupted, SweepResult
from experiments.resume import holding_run
from experiments.spec import Spec
from experiments.storage import RunLocation, run_location
from experiments.trial_state import fit_sweep
from experiments.tuner import build_tuner, prepare_data, train_settings
from experiments.user_model import resolve_model
from trainables.data import Images


def location_of(spec: Spec) -> RunLocation:
    return run_location(spec.storage, spec.name)


def check_run_dir(location: RunLocation, resume: bool) -> None:
    exists = location.has_sweep()
    if exists and not resume:
        raise InputError(
            f"name: {location.uri} already holds a sweep; pass --resume to continue it, or --name to start another"
        )
    if resume and not exists:
        raise InputError(f"--resume: there is no sweep to resume at {location.uri}")


def run_spec(
    spec: Spec,
    *,
    address: str | None = None,
    resume: bool = False,
    num_cpus: int | None = None,
    num_gpus: int | None = None,
    verbose: int = 1,
    dashboard: bool = False,
    model: Callable | None = None,
    splits: dict[str, Images] | None = None,
) -> SweepResult:
    """Run (or resume) the sweep ``spec`` describes and return what it left on disk.

    ``verbose``: 0 silent, 1 ``experiments.progress``'s lines, 2 and 3 Ray Tune's own display.
    ``model``: the build function ``spec.model`` names, given in Python rather than imported.
    ``splits``: in-memory images for ``dataset.name: arrays`` (``trainables.datasets.arrays``).
    """
    location = location_of(spec)
    check_run_dir(location, resume)
    _say(spec.auto and spec.auto.line(), verbose)
    if resume:
        spec, line = cpu_as_recorded(spec, location)
        _say(line, verbose)
    with holding_run(spec, location, resume):  # one driver per run; a resume keeps the spec it started with
        if not address:
            num_cpus = fitting_local_cpus([spec], num_cpus, num_gpus)
        data = prepare_data(spec, splits)
        model, warnings = resolve_model(spec, data, model)
        for line in warnings:
            print(f"warning: {line}", file=sys.stderr, flush=True)
        with ray_session(address, num_cpus, num_gpus, dashboard):
            live, scalable = live_nodes(), autoscaled_nodes()
            nodes = live + scalable
            spec, share = resolve_cpu(spec, nodes)
            _say(share and share.line(), verbose)
            check_fits(spec, largest(nodes), "the cluster" if address else "this machine")
            check_shared_storage(spec, location, len(nodes))
            write_manifest(spec, location, resume)
            with environment_defaults(tune_environment(spec, live, scalable)):
                fit_sweep(build_tuner(spec, data, location, resume, verbose, model=model))
            result = SweepResult(location.local)
            if result.summary["state"] == statuses.SWEEP_INTERRUPTED:
                write_manifest(spec, location, resume, finished=True)
                raise SweepInterrupted(result)
            settings = train_settings(spec, model)
            unmet, pictures = None, None  # a front limit no trial meets ends the final step, not the record or the report
            try:
                front = front_choice(spec, result) if spec.final.front and result.best else None
                finalists = run_finalists(spec, data, settings, result) if spec.final.finalists else None
                if spec.final.enabled:
                    finish_final = start_final(spec, data, settings, result, location, finalists, front)
                    pictures = draw_figures(result) if result.best else None  # while a worker retrains
                    finish_final()
            except FrontLimitUnmet as error:
                unmet = error
        if result.best:
            write_report(result, pictures=pictures)
        write_manifest(spec, location, resume, finished=True)  # publishes the report too
        if unmet:
            raise unmet
        return result


def tune_environment(spec: Spec, live: list[dict[str, float]], scalable: list[dict[str, float]]) -> dict[str, str | None]:
    """The Tune settings a sweep runs under (see ``environment_defaults``)."""
    return {
        # Tune forces a snapshot once a trial has checkpointed `checkpoint.keep` times since the last
        # one, so that no snapshot names a deleted checkpoint. Only HyperBand's close rungs, or a small
        # `checkpoint.every` or `interval_s`, checkpoint that often; the snapshot is needed: no warning.
        "TUNE_WARN_EXCESSIVE_EXPERIMENT_CHECKPOINT_SYNC_THRESHOLD_S": "0",
        "TUNE_MAX_PENDING_TRIALS_PG": None if scalable else str(queue_limit(spec, live)),
    }


@contextlib.contextmanager
def environment_defaults(values: dict[str, str | None]) -> Iterator[None]:
    """Each of ``values`` set inside the block, unless the user set it (None: left as it is)."""
    added = {name: value for name, value in values.items() if value is not None and name not in os.environ}
    os.environ.update(added)
    try:
        yield
    finally:
        for name in added:
            os.environ.pop(name, None)


def _say(line: str | None, verbose: int) -> None:
    if line and verbose:
        print(line, flush=True)


def write_manifest(spec: Spec, location: RunLocation, resume: bool, finished: bool = False) -> None:
    """``manifest.json``: the spec as run, seeds, versions, hardware, commit; start and end times."""
    path = location.local / "manifest.json"
    manifest = json.loads(path.read_text()) if path.is_file() else {"runs": []}
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    if finished:
        manifest["runs"][-1]["finished"] = now
    else:
        import ray

        manifest.update(
            spec=spec.as_data(),
            seeds={"data": spec.dataset.seed, "search": spec.search.seed, "training": spec.train.seed},
            **environment(),
        )
        manifest["runs"].append({"started": now, "resumed": resume, "ray_address": ray.get_runtime_context().gcs_address})
    path.write_text(json.dumps(manifest, indent=2))
    location.publish()
