"""What a sweep will cost, forecast from a few probes (``cnn-tune plan``).

Four things set a sweep's time: which configurations it trains, what an epoch of each costs,
how many epochs its scheduler lets them train, and how many run at once. The configurations
are the ones the sweep's seeded generator draws; an epoch's cost is measured on the corners of
the hyperparameters that size a model (``cost_drivers``) and interpolated between them; the
epochs and the wall time come from the scheduler itself, Ray's own, driven in simulated time
(``experiments.schedulers.simulate``) over random orders of which trials turn out best.
"""

from __future__ import annotations

import itertools
import math
import tempfile
from dataclasses import dataclass
from typing import Any

import numpy as np

from core.metrics import running_best
from experiments.schedulers import scheduler as scheduler_named
from experiments.schedulers.simulate import Curve, replay_once
from experiments.spec import Spec
from search_spaces import Categorical, Domain, Numeric, Space

MAX_DRIVERS = 3  # 2**3 probes at most
ORDERS = 200
MODEL_BASED_DRAWS = 20
# Schedulers the simulation cannot drive as they are: PBT trains every trial to the end (its
# exploits copy weights, which cost no epochs); BOHB's HyperBand pauses and stops as HyperBand's.
STAND_INS = {"pbt": "fifo", "bohb": "hyperband"}


def draw_configs(spec: Spec, seed: int | None = None) -> list[dict[str, Any]]:
    """The configurations the sweep trains: exactly grid and random search's (the same seeded generator).
    With another ``seed``, a draw a model-based searcher's proposals could resemble."""
    from ray.tune.experiment import Experiment
    from ray.tune.search.basic_variant import BasicVariantGenerator

    space = spec.search_space
    generator = BasicVariantGenerator(random_state=spec.search.seed if seed is None else seed)
    with tempfile.TemporaryDirectory() as folder:  # Ray marks an experiment's storage; none is wanted
        generator.add_configurations([Experiment("plan", lambda config: None, config=space.to_tune(),
                                                 num_samples=spec.search.num_samples, storage_path=folder)])
        configs = []
        while (trial := generator.next_trial()) is not None:
            configs.append(space.typed({name: trial.config[name] for name in space.domains}))
    return configs


def draw_sweeps(spec: Spec) -> list[list[dict[str, Any]]]:
    """The sweeps a forecast weighs: the one grid or random search runs, or, for a model-based searcher,
    whose proposals are not known before it runs, ``MODEL_BASED_DRAWS`` seeded draws of its space; the
    forecast's range then spans what those configurations cost."""
    from experiments.algorithms import algorithm

    if not algorithm(spec.search.algorithm).model_based:
        return [draw_configs(spec)]
    return [draw_configs(spec, spec.search.seed + k) for k in range(MODEL_BASED_DRAWS)]


def cost_drivers(space: Space) -> dict[str, tuple[int, int]]:
    """The searched hyperparameters that size a model or its steps: the whole-number ones that vary
    (widths, filters, layers, batch size), at most ``MAX_DRIVERS``, those spanning the widest ratio."""
    drivers = {}
    for name, domain in space.searched().items():
        values = domain.values()
        if all(isinstance(v, int) and not isinstance(v, bool) for v in values) and 0 < min(values) < max(values):
            drivers[name] = (min(values), max(values))
    widest = sorted(drivers, key=lambda name: drivers[name][1] / drivers[name][0], reverse=True)[:MAX_DRIVERS]
    return {name: drivers[name] for name in widest}


def _middle(domain: Domain) -> Any:
    """A typical value of a hyperparameter that does not size the model (a probe's learning rate, say)."""
    if isinstance(domain, Numeric):
        return domain.nearest(math.sqrt(domain.low * domain.high) if domain.log else (domain.low + domain.high) / 2)
    if isinstance(domain, Categorical):
        return domain.options[0]
    return domain.value


def corners(space: Space, drivers: dict[str, tuple[int, int]]) -> list[dict[str, Any]]:
    """The configurations to probe: every corner of the drivers, everything else at its middle."""
    base = {name: _middle(domain) for name, domain in space.domains.items()}
    return [{**base, **dict(zip(drivers, values))} for values in itertools.product(*drivers.values())]


PER_STEP = frozenset({"batch_size"})  # drivers whose reciprocal counts an epoch's steps


@dataclass(frozen=True)
class Costs:
    """A trial's seconds for any configuration, from the probes of the corners (in ``corners``' order):
    interpolated multilinearly in the drivers' values, the batch size as its reciprocal (the steps of an
    epoch). That is exact for an epoch that costs a fixed part plus parts proportional to the widths, to
    the steps and to their products (the weight updates of a dense layer: width x steps)."""

    drivers: dict[str, tuple[int, int]]
    probes: list[dict[str, Any]]

    def _weights(self, config: dict[str, Any]) -> list[float]:
        shares = []
        for name, (low, high) in self.drivers.items():
            value = config[name]
            if name in PER_STEP:
                value, low, high = 1 / value, 1 / low, 1 / high
            shares.append(min(max((value - low) / (high - low), 0.0), 1.0))
        return [math.prod(share if bit else 1 - share for bit, share in zip(bits, shares))
                for bits in itertools.product((0, 1), repeat=len(shares))]

    def _blend(self, config: dict[str, Any], value) -> float:
        return sum(weight * value(probe) for weight, probe in zip(self._weights(config), self.probes))

    def epoch_seconds(self, config: dict[str, Any], epochs: int) -> tuple[float, ...]:
        """Each epoch of a trial of ``config``: the first with its set-up and tracing, then steady ones."""
        setup = self._blend(config, lambda probe: probe["setup_s"])
        first, steady = (self._blend(config, lambda probe, i=i: probe["epoch_s"][i]) for i in (0, 1))
        return (setup + first,) + (steady,) * (epochs - 1)

    @property
    def startup_s(self) -> float:
        """Starting a trial's backend (importing and configuring it), paid once per slot, since actors are
        reused: the longest a probe took (zero in a worker an earlier probe had started it in)."""
        return max(probe["startup_s"] for probe in self.probes)


def _curve(trial: int, quality: float, seconds: tuple[float, ...], metric: str, mode: str) -> Curve:
    """A trial that rises towards ``quality`` (in [0, 1]) and keeps its rank among the others throughout."""
    values = [quality * (1 - 0.5 ** epoch) for epoch in range(1, len(seconds) + 1)]
    values = values if mode == "max" else [1 - value for value in values]
    results = tuple({metric: value, running_best(metric): value} for value in values)
    return Curve(str(trial), results, seconds)


def simulate(spec: Spec, sweeps: list[list[dict[str, Any]]], costs: Costs, slots: int, orders: int = ORDERS,
             seed: int = 0) -> dict[str, Any]:
    """Epochs trained and seconds of training (median, 10th and 90th percentiles) over ``orders`` random
    assignments of which configurations turn out best, ``slots`` trials at once, through the spec's scheduler;
    order ``i`` trains the sweep ``sweeps[i % len(sweeps)]``."""
    name = STAND_INS.get(spec.scheduler.name, spec.scheduler.name)
    chosen = scheduler_named(name)
    learned = None if chosen.reads_last_value else running_best(spec.objective)
    epochs = spec.train.max_epochs
    seconds = [[costs.epoch_seconds(config, epochs) for config in configs] for configs in sweeps]
    rng = np.random.default_rng(seed)
    found = []
    for order in range(orders):
        sweep = seconds[order % len(seconds)]
        qualities = rng.random(len(sweep))
        curves = [_curve(i, q, s, spec.objective, spec.objective_mode) for i, (q, s) in enumerate(zip(qualities, sweep))]
        scheduler = chosen.build(spec.scheduler_context())
        if learned:
            scheduler.set_search_properties(learned, spec.objective_mode)
        outcome = replay_once(curves, scheduler, spec.objective, spec.objective_mode, slots, list(range(len(curves))), epochs)
        found.append((outcome.epochs, outcome.seconds))
    trained, wall = np.array(found, dtype=float).T

    def spread(values: np.ndarray) -> dict[str, float]:
        low, median, high = np.percentile(values, [10, 50, 90])
        return {"median": float(median), "p10": float(low), "p90": float(high)}

    return {"scheduler": name, "orders": orders, "epochs": spread(trained), "fifo_epochs": epochs * len(sweeps[0]),
            "training_s": spread(wall)}


def sweep_seconds(spec: Spec, costs: Costs, found: dict[str, Any], tune_s: float) -> dict[str, float]:
    """The sweep's wall time (median, 10th and 90th percentiles): Tune's own ``tune_s`` (a sweep of idle
    trials: set-up, actors, the end), the backend's start-up, then the training ``simulate`` found, cut short
    by the stop budgets (an epochs budget at about the same pace)."""
    sweep = {key: tune_s + costs.startup_s + value for key, value in found["training_s"].items()}
    if spec.stop.epochs_budget:
        cut = min(1.0, spec.stop.epochs_budget / found["epochs"]["median"])
        sweep = {key: value * cut for key, value in sweep.items()}
    if spec.stop.time_budget_s:
        sweep = {key: min(value, spec.stop.time_budget_s) for key, value in sweep.items()}
    return sweep
