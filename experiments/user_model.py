"""A user's model in a sweep: resolved and checked in the driver, and shipped to every trial with its code."""

from __future__ import annotations

import site
import sys
import sysconfig
from pathlib import Path
from typing import Callable

from experiments.spec import Spec
from trainables.data import PreparedData
from trainables.models import builder, is_reference
from trainables.models.user import PickledModel, check_builds, probe_config

CNN_TUNE = frozenset({"core", "trainables", "experiments", "search_spaces"})  # installed with cnn-tune on every node


def resolve_model(spec: Spec, data: PreparedData, given: Callable | None = None) -> tuple[str | Callable, list[str]]:
    """What the trials build: a shipped model's name, or the user's function (``given``, or imported
    from ``spec.model``), built once here for the space's first values, then made to travel by value.
    Also returns a line per declared hyperparameter that build did not read (a typo, most often)."""
    if given is None and not is_reference(spec.model):
        return spec.model, []
    build = given or builder(spec.model)
    space = spec.search_space
    config = space.typed(probe_config(space.domains))
    unread = check_builds(build, spec.model, config, data.pool.take(range(2)).x, data.num_classes)
    return shipped(build, spec.model), [f"space.{name}: {spec.model} did not read it when built for the space's first values" for name in unread]


def shipped(build: Callable, reference: str) -> PickledModel:
    """``build`` pickled with its whole package by value when that is not installed, so trials on any
    node get its code with their parameters, whichever folder the driver ran from (``ray job submit
    --working-dir`` ships the other files it reads). A notebook's functions (``__main__``) travel by
    value anyway."""
    import ray.cloudpickle

    module = sys.modules.get(build.__module__)
    source = getattr(module, "__file__", None)
    top = build.__module__.partition(".")[0]
    if module is not None and source is not None and top not in CNN_TUNE and module.__name__ != "__main__":
        installed = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"], *site.getsitepackages()}
        if not any(Path(source).resolve().is_relative_to(Path(folder).resolve()) for folder in installed):
            ray.cloudpickle.register_pickle_by_value(sys.modules[top])
    return PickledModel(reference, ray.cloudpickle.dumps(build))
