"""Search algorithms by name: one module each, imported only when used.

Each module has ``MODEL_BASED`` (does it learn from finished trials), ``Options``
(its spec section), ``check_space(space)`` and ``build(space, options, metric,
mode) -> (search_alg, param_space)``.
"""

from search_spaces import Space, SpaceError
from trainables.registry import Registry

ALGORITHMS = Registry(
    "search algorithm",
    {
        "grid": "experiments.algorithms.grid",
        "random": "experiments.algorithms.random",
        "bayesopt": "experiments.algorithms.bayesopt",
        "hyperopt": "experiments.algorithms.hyperopt",
        "optuna": "experiments.algorithms.optuna",
    },
)

# Sequential model-based searchers learn from finished trials: with every slot of
# a large cluster busy at once they would degrade to random search.
MODEL_BASED_MAX_CONCURRENT = 4


def check_no_grid(space: Space, algorithm: str) -> None:
    if space.grid_names():
        raise SpaceError(
            f"search.algorithm: {algorithm} proposes points itself and cannot enumerate a grid "
            f"({', '.join(space.grid_names())}); write those as {{choice: [...]}} or use grid or random"
        )
