"""What Tune itself spends on a sweep, apart from training: timed on a sweep of idle trials.

Between ``Tuner.fit`` and a trial's first line, Tune sets up the experiment, reserves a placement
group per trial and starts an actor process per slot; after the last result it saves its state.
On 2 cores that is about 4 s for two trials, which the probes, plain Ray tasks, never pay.
"""

from __future__ import annotations

import contextlib
import io
import tempfile
import time

from core.quiet import quiet_logger


def tune_seconds(slots: int, cpu: float, gpu: float) -> float:
    """The wall time of a Tune sweep of ``slots`` idle trials, each with a trial's resources, run at once
    as the sweep's first trials are. Run it before anything else in the session, as the sweep is:
    an idle worker left by earlier tasks would start its actor for free."""
    from ray import tune

    from trainables.trainable import idle_trial

    trainable = tune.with_resources(idle_trial, {"cpu": cpu, "gpu": gpu})
    # Tune's progress lines would read as the user's sweep
    with quiet_logger("ray.tune"), tempfile.TemporaryDirectory() as folder, contextlib.redirect_stdout(io.StringIO()):
        started = time.perf_counter()
        tune.Tuner(trainable, tune_config=tune.TuneConfig(num_samples=slots, reuse_actors=True),
                   run_config=tune.RunConfig(name="rehearsal", storage_path=folder, verbose=0)).fit()
        return time.perf_counter() - started
