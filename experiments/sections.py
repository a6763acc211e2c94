"""Spec sections that extension modules extend with their own options.

Kept apart from ``spec`` so that an algorithm or scheduler module can subclass
them without importing the whole spec.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, PositiveInt

SMOKE_IMAGES = 256
SMOKE_EPOCHS = 2
SMOKE_SAMPLES = 2


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SearchSpec(Section):
    """Common search settings; each algorithm's module adds its own options."""

    algorithm: str = "random"
    num_samples: PositiveInt = Field(10, description="trials (grid: repeats of the whole grid)")
    max_concurrent: PositiveInt | None = Field(None, description="trials at once (model-based default: 4)")
    seed: int | None = 0

    def smoke(self) -> SearchSpec:
        return self.model_copy(update={"num_samples": min(self.num_samples, SMOKE_SAMPLES)})


class SchedulerSpec(Section):
    """Common scheduler settings; each scheduler's module adds its own options."""

    name: str = "fifo"

    def smoke(self) -> SchedulerSpec:
        return self
