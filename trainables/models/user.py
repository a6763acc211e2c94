"""A user's own model, ``module:function``: imported, and checked once in the driver before Ray starts.

Every way a build function can be wrong is caught here with one line naming it: a module that
does not import, a missing function, a wrong signature, a compiled model, an output that does not
match the dataset's classes or is not a softmax, a hyperparameter the space does not declare.
"""

from __future__ import annotations

import importlib
import inspect
import os
import pickle
import sys
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Callable

import numpy as np

from core.errors import InputError
from trainables.hyperparameters import TRAINING_LOOP, Hyperparameters, ModelHyperparameters


@dataclass(frozen=True)
class PickledModel:
    """A user's build function as the driver pickled it, unpickled at its first call: unpickling imports
    what its module imports (Keras), which a trial may do only once it configured the backend."""

    reference: str
    payload: bytes

    @cached_property
    def build(self) -> Callable:
        return pickle.loads(self.payload)

    def __call__(self, hp: ModelHyperparameters, input_shape: tuple[int, ...], num_classes: int) -> Any:
        return self.build(hp, input_shape, num_classes)


def import_builder(reference: str) -> Callable:
    """The function ``module:function`` names, looked up on ``sys.path`` and in the current folder (as
    ``python -m`` does), with a signature a trial can call."""
    module_name, _, function_name = reference.partition(":")
    if os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except Exception as error:  # the user's module: any error in it is theirs to see
        raise InputError(
            f"model: cannot import '{module_name}' ({type(error).__name__}: {error}); run from the folder "
            f"that holds it, or add that folder to PYTHONPATH"
        ) from None
    build = module
    for part in function_name.split("."):
        build = getattr(build, part, None)
    if not callable(build):
        raise InputError(f"model: '{module_name}' has no function '{function_name}'")
    check_signature(build, reference)
    return build


def reference_of(build: Callable) -> str:
    """``module:function`` for a function given in Python (a notebook's is ``__main__:name``)."""
    return f"{build.__module__}:{build.__qualname__}"


def check_signature(build: Callable, name: str) -> None:
    try:
        inspect.signature(build).bind(None, (28, 28, 1), 10)
    except TypeError:
        raise InputError(f"model: {name} must take (hp, input_shape, num_classes); it takes {inspect.signature(build)}") from None
    except ValueError:  # no signature to read (a builtin): calling it will tell
        pass


def probe_config(domains: dict[str, Any]) -> dict[str, Any]:
    """One configuration of the space: each hyperparameter's first value."""
    return {name: domain.values()[0] for name, domain in domains.items()}


def check_builds(build: Callable, name: str, config: dict[str, Any], images: np.ndarray, num_classes: int) -> list[str]:
    """Build the model for ``config`` and run it on two of the dataset's images (scaled as trials see
    them): the errors a trial would raise, raised now. Returns the declared hyperparameters the model
    did not read for this configuration, which may be typos (or read only for other values)."""
    import keras

    hp = ModelHyperparameters(Hyperparameters.from_config(config), name)
    try:
        model = build(hp, tuple(images.shape[1:]), num_classes)
    except InputError:
        raise
    except Exception as error:
        raise InputError(f"model: {name} failed to build for {config} ({type(error).__name__}: {error})") from None
    if not isinstance(model, keras.Model):
        raise InputError(f"model: {name} must return a keras.Model, it returned {type(model).__name__}")
    if model.compiled:
        raise InputError(
            f"model: {name} returned a compiled model; return it uncompiled: cnn-tune compiles every model "
            "with the sweep's optimizer, learning-rate schedule and loss"
        )
    try:
        outputs = keras.ops.convert_to_numpy(model(images[:2], training=False))
    except Exception as error:
        raise InputError(f"model: {name} fails on this dataset's images of shape {images.shape[1:]} ({type(error).__name__}: {error})") from None
    if outputs.shape != (len(images[:2]), num_classes):
        raise InputError(
            f"model: {name} outputs shape {outputs.shape[1:]} per image; the dataset has {num_classes} classes: "
            f"end with Dense(num_classes, activation='softmax')"
        )
    if not np.allclose(outputs.sum(axis=1), 1.0, atol=1e-3) or (outputs < 0).any():
        raise InputError(
            f"model: {name} outputs are not class probabilities; end with a softmax "
            "(cnn-tune trains with cross-entropy on probabilities)"
        )
    return sorted(set(config) - hp.read - TRAINING_LOOP)
