"""Search algorithms by name: one module each, imported only when used.

Each entry is a ``SearchAlgorithm`` (see ``contract``); adding one is one module
and one line here, and ``tests/test_contracts.py`` runs it through the same checks.
"""

from core.registry import Registry

ALGORITHMS = Registry(
    "search algorithm",
    {
        "grid": "experiments.algorithms.grid:Grid",
        "random": "experiments.algorithms.random:Random",
        "bayesopt": "experiments.algorithms.bayesopt:BayesOpt",
        "hyperopt": "experiments.algorithms.hyperopt:HyperOpt",
        "optuna": "experiments.algorithms.optuna:Optuna",
        "bohb": "experiments.algorithms.bohb:Bohb",
    },
)


def algorithm(name: str, field: str | None = None):
    """The registered ``SearchAlgorithm`` called ``name``."""
    return ALGORITHMS.load(name, field)()
