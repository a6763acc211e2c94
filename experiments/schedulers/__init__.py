"""Trial schedulers by name: one module each, imported only when used.

Each entry is a ``Scheduler`` (see ``contract``); adding one is one module and
one line here, and ``tests/test_contracts.py`` runs it through the same checks.
"""

from core.registry import Registry

SCHEDULERS = Registry(
    "scheduler",
    {
        "fifo": "experiments.schedulers.fifo:Fifo",
        "asha": "experiments.schedulers.asha:Asha",
        "hyperband": "experiments.schedulers.hyperband:HyperBand",
        "median": "experiments.schedulers.median:Median",
        "pbt": "experiments.schedulers.pbt:Pbt",
        "bohb": "experiments.schedulers.bohb:Bohb",
    },
)


def scheduler(name: str, field: str | None = None):
    """The registered ``Scheduler`` called ``name``."""
    return SCHEDULERS.load(name, field)()
