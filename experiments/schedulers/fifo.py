"""First in, first out: every trial runs to its last epoch (or its own early stop)."""

from __future__ import annotations

from typing import Any

from experiments.schedulers.contract import Scheduler, SchedulerContext


class Fifo(Scheduler):
    ranks_trials = False

    def build(self, context: SchedulerContext) -> Any:
        from experiments.schedulers.queue import QueuedFIFO

        return QueuedFIFO()
