"""Datasets by name: one module each, exposing ``load(path) -> {split: Images}``."""

from trainables.registry import Registry

DATASETS = Registry(
    "dataset",
    {
        "mnist-5k": "trainables.datasets.mnist5k",
        "digits": "trainables.datasets.digits",
        "mnist": "trainables.datasets.mnist",
    },
)
