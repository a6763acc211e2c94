"""``search.algorithm: auto`` and ``scheduler.name: auto``: the pair a decision table picks for the sweep.

The table is data, each row with its evidence, and the README carries the same rows. The choice
reads only the spec (its space, num_samples, search.max_concurrent, dataset.folds, train.max_epochs),
never the machine: ``validate`` says what ``run`` will run, and a resumed run chooses as it started.
The choice is recorded in the spec (``auto``), so smoke runs, the record and resumes keep it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Literal, Mapping

from core.errors import UnknownName
from core.registry import Registry
from experiments.algorithms import ALGORITHMS, algorithm
from experiments.algorithms.contract import MODEL_BASED_MAX_CONCURRENT
from experiments.algorithms.hyperopt import Options as HyperOptOptions
from experiments.schedulers import SCHEDULERS, scheduler
from experiments.schedulers.asha import Options as AshaOptions
from experiments.sections import SearchSpec, Section
from search_spaces import Categorical, Space
from trainables.hyperparameters import CONDITIONAL

if TYPE_CHECKING:
    from experiments.spec import Spec

AUTO = "auto"
LISTED = {  # what `cnn-tune list` says of auto
    "algorithms": "grid, random, hyperopt or bayesopt, chosen from the space, num_samples, max_concurrent and folds (README)",
    "schedulers": "fifo or asha, chosen from train.max_epochs (README)",
}
SAMPLES = SearchSpec.model_fields["num_samples"].default  # unset: 10 (grid's 1 never reaches that row)
RANDOM_FIRST = HyperOptOptions.model_fields["initial_points"].default  # Optuna's startup_trials too: 10
FIRST_HALVING = int(AshaOptions.model_fields["grace_period"].default * AshaOptions.model_fields["reduction_factor"].default)


@dataclass(frozen=True)
class Facts:
    """What the table reads of a spec."""

    searched: int
    grids: tuple[str, ...]
    choices: tuple[str, ...]
    conditional: tuple[str, ...]
    num_samples: int | None  # None: unset, each algorithm's own default
    at_once: int | None  # search.max_concurrent
    folds: int
    max_epochs: int
    objectives: int = 1  # 2: metric names a measured cost to trade against (a Pareto front)

    @classmethod
    def of(cls, space: Space, num_samples: int | None, at_once: int | None, folds: int, max_epochs: int,
           objectives: int = 1) -> Facts:
        searched = space.searched()
        choices = tuple(name for name, domain in searched.items() if isinstance(domain, Categorical) and domain.kind == "choice")
        conditional = tuple(
            name for name, (other, read_under) in CONDITIONAL.items()
            if name in searched and other in searched and not set(searched[other].values()) <= read_under
        )
        return cls(len(searched), tuple(space.grid_names()), choices, conditional, num_samples, at_once, folds, max_epochs,
                   objectives)

    @property
    def all_grid(self) -> bool:
        return self.searched > 0 and len(self.grids) == self.searched

    def summary(self) -> str:
        def names(found: tuple[str, ...]) -> str:
            return ", ".join(found) or "none"

        return (f"{self.searched} searched (grids: {names(self.grids)}; choices: {names(self.choices)}; conditional: "
                f"{names(self.conditional)}); num_samples {self.num_samples or 'unset'}; max_concurrent "
                f"{self.at_once or 'unset'}; folds {self.folds}; max_epochs {self.max_epochs}; objectives {self.objectives}")


@dataclass(frozen=True)
class Row:
    when: str
    holds: Callable[[Facts], bool]
    choice: str
    why: str
    evidence: str


# First row that holds wins. README.md, "Choosing automatically", carries the same rows.
SEARCH_ROWS = (
    Row("nothing searched, or grids beside sampled domains", lambda f: f.searched == 0 or bool(f.grids) and not f.all_grid,
        "random", "the one searcher that takes such a space",
        "this registry: grid takes only grids, the model-based searchers no grid (`check_space`)"),
    Row("every searched hyperparameter a grid", lambda f: f.all_grid,
        "grid", "runs the grid whole, each point once per sample", "this registry: no model-based searcher enumerates a grid"),
    Row(f"search.max_concurrent above {MODEL_BASED_MAX_CONCURRENT}", lambda f: (f.at_once or 0) > MODEL_BASED_MAX_CONCURRENT,
        "random", "a model-based searcher would propose most trials before any result came back",
        "Li et al. 2020 (ASHA, MLSys): model-based search is sequential at heart, random search with ASHA keeps "
        f"many workers busy; cnn-tune caps model-based searchers at {MODEL_BASED_MAX_CONCURRENT} at once for this reason"),
    Row(f"num_samples {RANDOM_FIRST} or fewer (unset: {SAMPLES})", lambda f: (f.num_samples or SAMPLES) <= RANDOM_FIRST,
        "random", f"HyperOpt and Optuna draw their first {RANDOM_FIRST} at random anyway",
        "HyperOpt's initial_points and Optuna's startup_trials (10): their first trials are random draws; "
        "Bergstra & Bengio 2012 (JMLR) on random search as the baseline"),
    Row("two objectives (metric: [METRIC, params or latency_ms])", lambda f: f.objectives == 2,
        "optuna", "the one searcher here that learns both (its TPE is multi-objective); HyperOpt and BayesOpt would chase the first alone",
        "Ozaki et al. 2022 (multiobjective TPE, JAIR), Optuna 5.0's TPESampler with two directions; this registry refuses "
        "the others with two objectives (experiments/front.py)"),
    Row("a hyperparameter searched beside the one it depends on (momentum: optimizer; lr_decay, lr_step_epochs, "
        "lr_min: lr_schedule)", lambda f: bool(f.conditional),
        "hyperopt", "TPE models each hyperparameter on its own, so one that is unused in some trials misleads no other",
        "Bergstra et al. 2011 (TPE, NeurIPS), made for such tree-structured spaces"),
    Row("a searched choice", lambda f: bool(f.choices),
        "hyperopt", "TPE samples a category by its own probabilities; BayesOpt would see it as a range of numbers in an arbitrary order",
        "Bergstra et al. 2011; BENCHMARKS.md search, 2026-11-29 (seed-random, all choices, 1 seed): best reached "
        "hyperopt 0.969, optuna 0.944, random 0.929, bayesopt 0.927 (one seed: a hint, not a measured win)"),
    Row("one validation split (dataset.folds 1)", lambda f: f.folds == 1,
        "hyperopt", "BayesOpt's Gaussian process fits every result as exact (bayesian-optimization 1.5.1: alpha 1e-6) "
        "and bends to one split's noise; TPE only ranks results",
        "Bergstra et al. 2011; BENCHMARKS.md replay, 2026-12-06: a best of 0.98 that is one epoch's spike, "
        "on 400 images where one image is 0.25 points"),
    Row("numbers only, K-fold cross-validation", lambda f: True,
        "bayesopt", "a Gaussian process on a smooth, averaged objective over numbers",
        "Snoek et al. 2012 (GP-BO, NeurIPS)"),
)
SCHEDULER_ROWS = (
    Row("two objectives (metric: [METRIC, params or latency_ms])", lambda f: f.objectives == 2,
        "fifo", "every other scheduler stops or pauses trials on the first metric alone and would bend the front",
        "this registry: FIFO is the one scheduler that ranks no trials (`ranks_trials`)"),
    Row(f"train.max_epochs below {FIRST_HALVING}", lambda f: f.max_epochs < FIRST_HALVING,
        "fifo", "ASHA (grace 1, factor 3) could stop a trial only after its first epoch, before curves separate",
        "Li et al. 2018 (HyperBand, JMLR): below R = eta x r there is no bracket that halves (s_max = 0)"),
    Row(f"train.max_epochs {FIRST_HALVING} or more", lambda f: True,
        "asha", "stops poor trials at epochs 1, 3, 9, ... without waiting for others",
        "BENCHMARKS.md speed schedulers, 2026-12-03: time/FIFO asha 0.57, bohb 0.71, hyperband 0.74 (gap to FIFO's "
        "best 0.00, 0.25, 0.50 points); speed halving (81 x 27): asha 0.27 (gap 0.25); replay, 2026-12-06: asha 0.23, median 0.28, hyperband 0.38 (regret "
        "0.75, 0.75, 0.50 points); Li et al. 2020 (ASHA)"),
)


class AutoChoice(Section):
    """What auto chose and why: written by cnn-tune into the spec as run, not by hand."""

    asked: tuple[Literal["search.algorithm", "scheduler.name"], ...]
    algorithm: str
    scheduler: str
    reason: str

    def chosen(self, field: str) -> str:
        return self.algorithm if field == "search.algorithm" else self.scheduler

    def line(self) -> str:
        """The run's first line."""
        return f"auto: {', '.join(f'{field} -> {self.chosen(field)}' for field in self.asked)} ({self.reason})"

    def note(self, field: str) -> str:
        """Said after an error in a section auto filled in."""
        return f" ({field}: auto chose {self.chosen(field)})" if field in self.asked else ""


def _first(rows: tuple[Row, ...], facts: Facts) -> tuple[str, str]:
    row = next(row for row in rows if row.holds(facts))
    return row.choice, f"{row.when}: {row.why}"


def _algorithm_for(facts: Facts, scheduler_name: str) -> tuple[str, str]:
    fixed = None if scheduler_name == AUTO else scheduler(scheduler_name)
    if fixed and fixed.algorithm:
        return fixed.algorithm, f"scheduler {scheduler_name} runs only with search algorithm {fixed.algorithm}"
    name, why = _first(SEARCH_ROWS, facts)
    if fixed and algorithm(name).model_based and not fixed.accepts_model_based:
        return "random", f"scheduler {scheduler_name} runs only with grid or random search (the table says {name}: {why})"
    return name, why


def _scheduler_for(facts: Facts, algorithm_name: str) -> tuple[str, str]:
    searcher = algorithm(algorithm_name)
    if searcher.scheduler:
        return searcher.scheduler, f"search algorithm {algorithm_name} runs only with scheduler {searcher.scheduler}"
    return _first(SCHEDULER_ROWS, facts)


def choose(space: Space, num_samples: int | None, at_once: int | None, folds: int, max_epochs: int,
           algorithm_name: str = AUTO, scheduler_name: str = AUTO, objectives: int = 1) -> AutoChoice:
    """The algorithm and scheduler for the ones given as ``auto``, each given the other."""
    facts = Facts.of(space, num_samples, at_once, folds, max_epochs, objectives)
    asked = tuple(field for field, name in (("search.algorithm", algorithm_name), ("scheduler.name", scheduler_name)) if name == AUTO)
    reasons = []
    if algorithm_name == AUTO:
        algorithm_name, why = _algorithm_for(facts, scheduler_name)
        reasons.append(f"search: {why}")
    if scheduler_name == AUTO:
        scheduler_name, why = _scheduler_for(facts, algorithm_name)
        reasons.append(f"scheduler: {why}")
    return AutoChoice(asked=asked, algorithm=algorithm_name, scheduler=scheduler_name,
                      reason=f"{'; '.join(reasons)} [{facts.summary()}]")


def _named(section: Mapping[str, Any], key: str, registry: Registry, default: str, field: str) -> str:
    name = str(section.get(key, default))
    if name != AUTO and name not in registry:
        raise UnknownName(registry.kind, name, sorted([*registry.names(), AUTO]), field)
    return name


def resolve_auto(data: dict[str, Any], validate: Callable[[dict[str, Any]], Spec]) -> tuple[dict[str, Any], AutoChoice | None]:
    """``data`` with ``auto`` made names and recorded, and the choice (None: nothing asked). ``validate``
    checks every section but the two auto fills in, so the table reads valid numbers."""
    search, schedule = (data.get(field) if isinstance(data.get(field), Mapping) else {} for field in ("search", "scheduler"))
    algorithm_name = _named(search, "algorithm", ALGORITHMS, "random", "search.algorithm")
    scheduler_name = _named(schedule, "name", SCHEDULERS, "fifo", "scheduler.name")
    if AUTO not in (algorithm_name, scheduler_name):
        record = data.get("auto")
        if isinstance(record, Mapping) and (record.get("algorithm"), record.get("scheduler")) != (algorithm_name, scheduler_name):
            data = {key: value for key, value in data.items() if key != "auto"}  # the names were set by hand since
        return data, None
    common = {key: value for key, value in search.items() if key in SearchSpec.model_fields and key != "algorithm"}
    draft = validate({**data, "search": common, "scheduler": {}, "auto": None})
    samples = draft.search.num_samples if "num_samples" in common else None
    choice = choose(draft.search_space, samples, draft.search.max_concurrent, draft.dataset.folds,
                    draft.train.max_epochs, algorithm_name, scheduler_name, 2 if draft.second_objective else 1)
    resolved = {**data, "auto": choice.model_dump(mode="json")}
    if algorithm_name == AUTO:
        resolved["search"] = {**search, "algorithm": choice.algorithm}
    if scheduler_name == AUTO:
        resolved["scheduler"] = {**schedule, "name": choice.scheduler}
    return resolved, choice
