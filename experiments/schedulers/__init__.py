"""Trial schedulers by name: one module each, imported only when used.

Each module has ``ACCEPTS_MODEL_BASED`` (can Ray pair it with a model-based
searcher), ``Options`` (its spec section), ``check(spec)`` and ``build(spec)``.
Metric and mode reach the scheduler through Tune's config, never twice.
"""

from trainables.registry import Registry

SCHEDULERS = Registry(
    "scheduler",
    {
        "fifo": "experiments.schedulers.fifo",
        "asha": "experiments.schedulers.asha",
        "hyperband": "experiments.schedulers.hyperband",
        "median": "experiments.schedulers.median",
        "pbt": "experiments.schedulers.pbt",
    },
)

# One report per epoch, so Ray's iteration count is the epoch count, also across restores.
TIME_ATTR = "training_iteration"
