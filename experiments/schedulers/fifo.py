"""First in, first out: every trial runs to its last epoch (or its own early stop)."""

from __future__ import annotations

from experiments.sections import SchedulerSpec

ACCEPTS_MODEL_BASED = True


class Options(SchedulerSpec):
    pass


def check(spec) -> None:
    pass


def build(spec):
    from ray.tune.schedulers import FIFOScheduler

    return FIFOScheduler()
