"""How sweeps are run: validated specs, search algorithms, schedulers, the runner, the CLI.

Python API for notebooks::

    import experiments
    result = experiments.run("quickstart", search={"num_samples": 4})
    result.dataframe    # one row per trial (pandas)
    result.best         # best config and its metrics
"""

from __future__ import annotations

from typing import Any, Mapping

from experiments.results import SweepResult, load_results
from experiments.spec import Spec, load_spec

__all__ = ["Spec", "SweepResult", "load_results", "load_spec", "plan", "run", "validate"]


def _flatten(overrides: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``search={"num_samples": 4}`` as ``{"search.num_samples": 4}``; ``space`` stays whole."""
    flat: dict[str, Any] = {}
    for key, value in overrides.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping) and dotted != "space":
            flat.update(_flatten(value, f"{dotted}."))
        else:
            flat[dotted] = value
    return flat


def validate(experiment: str | Mapping[str, Any] | Spec, **overrides: Any) -> Spec:
    """The checked spec, or an ``InputError`` naming the first bad field. Starts nothing."""
    return load_spec(experiment, _flatten(overrides))


def plan(
    experiment: str | Mapping[str, Any] | Spec,
    *,
    smoke: bool = False,
    address: str | None = None,
    cluster: str | None = None,
    num_cpus: int | None = None,
    num_gpus: int | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    """``cnn-tune plan`` from a notebook: prints the forecast and returns it (what ``plan.json`` holds)."""
    from experiments.plan import describe, plan_run

    spec = validate(experiment, **overrides)
    spec = spec.smoke() if smoke else spec
    planned = plan_run(spec, address=address, cluster=cluster, num_cpus=num_cpus, num_gpus=num_gpus)
    print(describe(planned, spec))
    return planned


def run(
    experiment: str | Mapping[str, Any] | Spec,
    *,
    smoke: bool = False,
    resume: bool = False,
    address: str | None = None,
    num_cpus: int | None = None,
    num_gpus: int | None = None,
    verbose: int | None = None,
    dashboard: bool = False,
    data: Any = None,
    **overrides: Any,
) -> SweepResult:
    """Run a sweep by experiment name, YAML path, mapping or Spec; overrides are spec keys.

    ``model`` is a shipped model's name, ``"module:function"``, or the build function itself
    (``build(hp, input_shape, num_classes)``, see ``trainables.models``): a notebook's own model.
    ``data``: arrays to tune on, ``(x, y)`` or ``((x, y), (x_test, y_test))`` as ``keras.datasets``
    returns them; the spec's dataset becomes ``arrays`` (score on the test arrays with
    ``dataset={"test": "arrays:test"}``).

    ``verbose`` defaults to Ray Tune's own progress table in a notebook (it redraws in
    place, so a large sweep stays one table), and to ``experiments.progress``'s lines elsewhere.
    ``dashboard`` starts the local Ray instance's dashboard (a cluster keeps its own).
    """
    build = overrides.pop("model") if callable(overrides.get("model")) else None
    if build:
        from trainables.models.user import check_signature, reference_of

        check_signature(build, reference_of(build))
        overrides["model"] = reference_of(build)  # what the record says was tuned
    splits = None
    if data is not None:
        from trainables.datasets.arrays import from_arrays

        splits = from_arrays(data)
        overrides["dataset.name"] = "arrays"
    spec = validate(experiment, **overrides)
    if verbose is None:
        from ray.widgets.util import in_notebook

        verbose = 2 if in_notebook() else 1
    if smoke:
        spec = spec.smoke()
    from experiments.runner import run_spec

    return run_spec(spec, address=address, resume=resume, num_cpus=num_cpus, num_gpus=num_gpus, verbose=verbose, dashboard=dashboard,
                    model=build, splits=splits)
