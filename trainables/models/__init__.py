"""Models by name, or a user's own as ``module:function``: one contract for both.

A model is a function ``build(hp, input_shape, num_classes) -> keras.Model`` returning the model
uncompiled: the trainable compiles every model alike (the sweep's optimizer and learning-rate
schedule, sparse categorical cross-entropy on the softmax output, accuracy), so that schedules,
checkpoints of the optimizer's state and the reported metrics mean the same for every model.
``hp`` is a ``ModelHyperparameters``. The project's models are plain Keras 3, free of any backend,
so the same trial runs on TensorFlow here and on JAX where TensorFlow is not installed.
"""

from __future__ import annotations

from typing import Callable

from core.registry import Registry

MODELS = Registry(
    "model",
    {
        "seed-cnn": "trainables.models.seed_cnn:build",
        "lenet5": "trainables.models.lenet5:build",
    },
)


def is_reference(model: str) -> bool:
    """Whether ``model`` names a user's function (``module:function``) rather than a shipped model."""
    return ":" in model


def builder(model: str | Callable) -> Callable:
    """The build function ``model`` stands for: itself, a shipped model, or a user's, imported."""
    if callable(model):
        return model
    if is_reference(model):
        from trainables.models.user import import_builder

        return import_builder(model)
    return MODELS.load(model)
