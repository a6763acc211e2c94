"""Datasets by name: one module each, exposing ``load(path) -> {split: Images}``.

A dataset that reads files names the environment variable that locates them as ``PATH_ENV``
(used when no path is given); a bundled dataset has none and ignores ``path``.
"""

from core.registry import Registry

DATASETS = Registry(
    "dataset",
    {
        "mnist-5k": "trainables.datasets.mnist5k",
        "digits": "trainables.datasets.digits",
        "mnist": "trainables.datasets.mnist",
    },
)
