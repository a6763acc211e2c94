"""Every registered search algorithm and scheduler, through the same checks (as Optuna's samplers_tests).

Adding an algorithm or a scheduler is one module and one registry line; these tests
then hold it to the contract without a line of its own. Proposals are drawn through
Ray's own SearchGenerator path, as the Tuner draws them, without starting Ray.
"""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from core.errors import InputError
from core.registry import Registry
from experiments.algorithms import ALGORITHMS, algorithm
from experiments.algorithms.contract import SearchAlgorithm, SearchContext
from experiments.schedulers import SCHEDULERS, scheduler
from experiments.schedulers.contract import TIME_ATTR, Scheduler, SchedulerContext
from experiments.sections import SMOKE_SAMPLES, SchedulerSpec, SearchSpec
from search_spaces import Categorical, Constant, Numeric, Space, load_space

MIXED = {
    "hidden_units": {"qrandint": [16, 256, 16]},
    "learning_rate": {"loguniform": [1e-4, 1e-1]},
    "optimizer": {"choice": ["adam", "sgd"]},
    "dropout": {"uniform": [0.0, 0.5]},
    "lr_step_epochs": {"randint": [1, 4]},
    "batch_size": 32,
}
GRID = {"hidden_units": {"grid": [16, 32]}, "learning_rate": {"grid": [0.01, 0.1]}, "batch_size": 32}
METRIC, MODE = "val_accuracy", "max"


def space_for(name: str) -> Space:
    return load_space(GRID if name == "grid" else MIXED)


def generator(name: str, seed: int = 0, num_samples: int = 6):
    """The algorithm's search as the Tuner drives it: (Ray SearchAlgorithm, param_space, num_samples)."""
    from ray.tune.search import Searcher, SearchGenerator

    chosen = algorithm(name)
    options = chosen.Options(algorithm=name, seed=seed, num_samples=1 if name == "grid" else num_samples)
    search_alg, param_space = chosen.build(SearchContext(space_for(name), options, METRIC, MODE))
    search_alg = SearchGenerator(search_alg) if isinstance(search_alg, Searcher) else search_alg
    search_alg.set_search_properties(METRIC, MODE, param_space)  # as the Tuner does; False: already set
    return search_alg, param_space, options.num_samples


def start(search_alg, param_space, num_samples: int) -> None:
    from ray.tune.experiment import Experiment

    search_alg.add_configurations([Experiment("contract", lambda config: None, config=param_space, num_samples=num_samples)])


def draw(search_alg, count: int) -> list[dict]:
    """Up to ``count`` configs, each completed with a result that varies, as trials would."""
    configs = []
    for index in range(count):
        trial = search_alg.next_trial()
        if trial is None:
            break
        configs.append(trial.config)
        search_alg.on_trial_complete(trial.trial_id, result={METRIC: 0.1 + 0.05 * index, "training_iteration": 1})
    return configs


def inside(domain, value) -> bool:
    if isinstance(domain, Constant):
        return value == domain.value
    if isinstance(domain, Categorical):
        return value in domain.options
    assert isinstance(domain, Numeric)
    if domain.q is not None and value != domain.nearest(value):
        return False  # off the quantized grid
    if domain.integer:
        high_ok = value <= domain.high if domain.q is not None else value < domain.high
        return type(value) is int and domain.low <= value and high_ok
    return type(value) is float and domain.low <= value <= domain.high


# ---- search algorithms


EXTENSIONS = [
    *(("search.algorithm", name, algorithm, SearchAlgorithm, SearchSpec, ALGORITHMS) for name in ALGORITHMS.names()),
    *(("scheduler.name", name, scheduler, Scheduler, SchedulerSpec, SCHEDULERS) for name in SCHEDULERS.names()),
]
EXTENSION_IDS = [f"{field}={name}" for field, name, *_ in EXTENSIONS]


def options_of(field: str, name: str, load, **values):
    return load(name).Options(**{field.split(".")[1]: name}, **values)


@pytest.mark.parametrize("field, name, load, contract, options, registry", EXTENSIONS, ids=EXTENSION_IDS)
def test_extension_is_registered_with_its_contract(field, name, load, contract, options, registry):
    assert isinstance(load(name), contract)
    assert issubclass(load(name).Options, options)
    assert registry.describe(name), "cnn-tune list shows the module's first docstring line"
    assert getattr(options_of(field, name, load), field.split(".")[1]) == name


@pytest.mark.parametrize("field, name, load, contract, options, registry", EXTENSIONS, ids=EXTENSION_IDS)
def test_extension_options_refuse_unknown_keys(field, name, load, contract, options, registry):
    with pytest.raises(ValidationError, match="extra"):
        options_of(field, name, load, no_such_option=1)


@pytest.mark.parametrize("field, name, load, contract, options, registry", EXTENSIONS, ids=EXTENSION_IDS)
def test_extension_smoke_options_stay_its_own(field, name, load, contract, options, registry):
    assert isinstance(options_of(field, name, load).smoke(), load(name).Options)


@pytest.mark.parametrize("name", ALGORITHMS.names())
def test_algorithm_smoke_draws_few_samples(name):
    assert algorithm(name).Options(algorithm=name, num_samples=50).smoke().num_samples <= SMOKE_SAMPLES


@pytest.mark.parametrize("name", ALGORITHMS.names())
def test_algorithm_proposes_every_hyperparameter_inside_its_domain_and_type(name):
    search_alg, param_space, num_samples = generator(name)
    start(search_alg, param_space, num_samples)
    configs = draw(search_alg, 20)
    space = space_for(name)
    assert len(configs) == (space.grid_size() if name == "grid" else num_samples)
    for config in configs:
        assert set(config) == set(space.domains)
        for hyperparameter, domain in space.domains.items():
            assert inside(domain, config[hyperparameter]), (hyperparameter, config[hyperparameter])
    assert search_alg.is_finished()


@pytest.mark.parametrize("name", ALGORITHMS.names())
def test_algorithm_with_the_same_seed_proposes_the_same_configs(name):
    runs = []
    for _ in range(2):
        search_alg, param_space, num_samples = generator(name, seed=7)
        start(search_alg, param_space, num_samples)
        runs.append(draw(search_alg, num_samples))
    assert runs[0] == runs[1] and runs[0]


@pytest.mark.parametrize("name", ALGORITHMS.names())
def test_algorithm_restored_from_its_saved_state_goes_on_as_before(name, tmp_path):
    original, param_space, num_samples = generator(name, num_samples=6)
    start(original, param_space, num_samples)
    draw(original, 3)
    original.save_to_dir(str(tmp_path), session_str="contract")
    restored, _, _ = generator(name, num_samples=6)
    restored.restore_from_dir(str(tmp_path))
    assert draw(restored, 3) == draw(original, 3)


@pytest.mark.parametrize("name", [name for name in ALGORITHMS.names() if algorithm(name).model_based])
def test_model_based_algorithm_learns_the_specs_metric_in_its_direction(name):
    search_alg, _, _ = generator(name)
    assert (search_alg.searcher.metric, search_alg.searcher.mode) == (METRIC, MODE)


@pytest.mark.parametrize("name", ALGORITHMS.names())
def test_algorithm_capacity_rule_follows_whether_it_learns(name):
    chosen = algorithm(name)
    cap = chosen.max_concurrent_trials(chosen.Options(algorithm=name))
    assert (cap is not None and cap >= 1) if chosen.model_based else cap is None


# ---- schedulers


def scheduler_context(name: str, **options) -> SchedulerContext:
    chosen = scheduler(name)
    return SchedulerContext(chosen.Options(name=name, **options), load_space(MIXED), max_epochs=9)


@pytest.mark.parametrize("name", SCHEDULERS.names())
def test_scheduler_builds_a_ray_scheduler_that_takes_the_objective_from_tune(name):
    from ray.tune.schedulers import TrialScheduler

    context = scheduler_context(name)
    scheduler(name).check(context)
    built = scheduler(name).build(context)
    assert isinstance(built, TrialScheduler)
    # Ray refuses a second objective: a scheduler that reads the last value was given its own
    assert built.set_search_properties(METRIC, MODE) is not scheduler(name).reads_last_value


class Controller:
    """What Ray's schedulers call back into on Tune's controller, for trials run one at a time."""

    def __init__(self, built, trials):
        from types import SimpleNamespace

        self.built, self.trials, self.results = built, trials, {}
        # BOHB tells its searcher of each pause
        self.search_alg = SimpleNamespace(searcher=SimpleNamespace(on_pause=lambda _: None, on_unpause=lambda _: None))

    def get_trials(self):
        return self.trials

    def get_live_trials(self):
        return [trial for trial in self.trials if trial.status not in ("TERMINATED", "ERROR")]

    def stop_trial(self, trial) -> None:
        if trial.status == "RUNNING":
            self.built.on_trial_complete(self, trial, self.results.get(trial, {}))
        elif trial.status in ("PENDING", "PAUSED"):
            self.built.on_trial_remove(self, trial)
        trial.set_status("TERMINATED")


def resumed_at(name: str, population: int = 17) -> set[int]:
    """The epochs at which Ray's scheduler resumes paused trials over a whole sweep, run as Tune runs it
    on one CPU (17 trials fill every HyperBand bracket of 9 epochs). A trial resumes from the checkpoint
    it reported where it paused, so each of these must be one of the scheduler's ``checkpoint_epochs``;
    one paused at its last epoch too, or it would train again from an older checkpoint."""
    from ray.tune.experiment import Trial
    from ray.tune.schedulers import TrialScheduler

    context = scheduler_context(name)
    built = scheduler(name).build(context)
    built.set_search_properties(METRIC, MODE)
    trials = [Trial("contract", config={"n": n}, stub=True) for n in range(population)]
    controller = Controller(built, trials)
    for trial in trials:
        built.on_trial_add(controller, trial)
    epochs, resumed, reports = dict.fromkeys(trials, 0), set(), 0
    while (trial := built.choose_trial_to_run(controller)) is not None:
        if epochs[trial]:
            resumed.add(epochs[trial])
        trial.set_status(Trial.RUNNING)
        while trial.status == Trial.RUNNING:
            if epochs[trial] == context.max_epochs:  # the trainable returns
                controller.stop_trial(trial)
                break
            epochs[trial] += 1
            reports += 1
            assert reports < 10 * population * context.max_epochs, "the sweep never ends"
            value = 0.1 + 0.05 * (trials.index(trial) % 7) + 0.01 * epochs[trial]
            controller.results[trial] = result = {METRIC: value, TIME_ATTR: epochs[trial]}
            decision = built.on_trial_result(controller, trial, result)
            if decision == TrialScheduler.PAUSE:
                trial.set_status(Trial.PAUSED)
            elif decision == TrialScheduler.STOP:
                controller.stop_trial(trial)
    assert all(trial.status == Trial.TERMINATED for trial in trials), "the sweep ran to its end"
    return resumed


@pytest.mark.parametrize("name", [name for name in SCHEDULERS.names() if not scheduler(name).keeps_every_checkpoint])
def test_a_scheduler_needs_checkpoints_exactly_where_it_resumes_paused_trials(name):
    """Where the trainable checkpoints for the scheduler: none missing, none needless. (PBT, which hands
    trials each other's weights where it perturbs them, is held to its own in test_checkpoints.)"""
    assert resumed_at(name) == scheduler(name).checkpoint_epochs(scheduler_context(name))


def fifo_ruled() -> list[str]:
    """The registered schedulers whose Ray class starts trials by Ray's FIFO rule."""
    from ray.tune.schedulers import FIFOScheduler

    def rays_rule(built) -> type:
        return next(cls for cls in type(built).__mro__ if "choose_trial_to_run" in vars(cls) and cls.__module__.startswith("ray."))

    return [name for name in SCHEDULERS.names() if rays_rule(scheduler(name).build(scheduler_context(name))) is FIFOScheduler]


@pytest.mark.parametrize("name", fifo_ruled())
def test_a_scheduler_on_rays_fifo_rule_does_not_walk_every_trial_to_start_one(name):
    """Ray's FIFOScheduler walks the sweep's whole list of trials each time Tune looks for one to start."""
    from ray.tune.schedulers import FIFOScheduler

    assert type(scheduler(name).build(scheduler_context(name))).choose_trial_to_run is not FIFOScheduler.choose_trial_to_run


@pytest.mark.parametrize("name", fifo_ruled())
def test_a_scheduler_starts_the_trial_rays_fifo_rule_picks_and_reads_only_trials_not_yet_ended(name):
    """Over a random walk of the moves Tune makes, the choice equals Ray's rule; then, with over 500
    trials ended, choosing reads the status of the few that have not."""
    import random

    from ray.tune.experiment import Trial
    from ray.tune.schedulers import FIFOScheduler

    class Counted(Trial):
        reads = 0

        @property
        def status(self):
            Counted.reads += 1
            return self._status

        @status.setter
        def status(self, value):
            self._status = value

    moves = {Trial.PENDING: [Trial.RUNNING, Trial.TERMINATED], Trial.PAUSED: [Trial.PENDING, Trial.TERMINATED],
             Trial.RUNNING: [Trial.PAUSED, Trial.TERMINATED, Trial.ERROR, Trial.PENDING]}
    built = scheduler(name).build(scheduler_context(name))
    built.set_search_properties(METRIC, MODE)
    trials, rng = [], random.Random(0)
    controller = Controller(built, trials)
    for step in range(3000):
        if rng.random() < 0.25 or not any(trial.status in moves for trial in trials):
            trials.append(Counted("contract", config={"n": step}, stub=True))
            built.on_trial_add(controller, trials[-1])
        else:
            trial = rng.choice([trial for trial in trials if trial.status in moves])
            trial.set_status(rng.choice(moves[trial.status]))
        assert built.choose_trial_to_run(controller) is FIFOScheduler.choose_trial_to_run(built, controller)
    unended = [trial for trial in trials if not trial.is_finished()]
    assert len(trials) - len(unended) > 500 > 10 * len(unended) > 0
    Counted.reads = 0
    built.choose_trial_to_run(controller)
    assert Counted.reads <= 3 * len(unended)


def test_a_scheduler_refusal_is_an_input_error_naming_the_field():
    with pytest.raises(InputError, match=r"^scheduler\.grace_period: "):
        scheduler("asha").check(scheduler_context("asha", grace_period=10))
    constant_space = SchedulerContext(scheduler("pbt").Options(name="pbt"), load_space({"hidden_units": {"choice": [8, 16]}}), 9)
    with pytest.raises(InputError, match=r"^scheduler\.name: pbt"):
        scheduler("pbt").check(constant_space)


def test_registry_loads_lazily_and_names_what_is_valid():
    registry = Registry("thing", {"grid": "experiments.algorithms.grid:Grid", "broken": "no.such.module"})
    assert registry.names() == ["broken", "grid"]
    with pytest.raises(InputError, match="unknown thing 'gird' \\(did you mean 'grid'\\?\\); valid: broken, grid"):
        registry.load("gird")
    assert registry.load("grid").__name__ == "Grid"


def test_listing_and_validating_import_no_engine_or_search_library():
    """`cnn-tune list` and `validate` answer in a fresh process without importing Ray, TensorFlow or a searcher."""
    import subprocess
    import sys

    code = (
        "import contextlib, io, sys\n"
        "from experiments.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    assert main(['list']) == 0 and main(['validate', 'quickstart']) == 0\n"
        "print(sorted(m for m in ('ray', 'tensorflow', 'keras', 'optuna', 'hyperopt', 'bayes_opt') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("brackets", [1, 3])
def test_asha_rebuilt_from_the_record_has_the_rungs_of_the_one_that_ran(brackets):
    """A resumed sweep's ASHA, fed the recorded results, judges trials against the same rungs."""
    from ray.tune.experiment import Trial

    def asha():
        built = scheduler("asha").build(scheduler_context("asha", brackets=brackets, reduction_factor=2))
        built.set_search_properties(METRIC, MODE)
        return built

    ran, arrivals = asha(), []
    trials = [Trial("contract", config={"n": n}, stub=True) for n in range(12)]
    for trial in trials:
        ran.on_trial_add(None, trial)
    for epoch in range(1, 9):
        for n, trial in enumerate(trials):
            value = 0.1 + 0.05 * n + 0.01 * epoch
            ran.on_trial_result(None, trial, {METRIC: value, "training_iteration": epoch, "time_total_s": epoch})
            arrivals.append((trial.trial_id, epoch, value))
    rebuilt = asha()
    rebuilt.replay(arrivals)
    assert [[dict(recorded) for _, recorded in bracket._rungs] for bracket in rebuilt._brackets] == [
        [dict(recorded) for _, recorded in bracket._rungs] for bracket in ran._brackets
    ]
    assert any(recorded for bracket in ran._brackets for _, recorded in bracket._rungs)


def test_pbt_perturbations_stay_inside_every_declared_domain():
    """Ray's own explore step (x0.8 / x1.2, resampling), many times from the edges of a tight space."""
    import random

    from ray.tune.schedulers.pbt import _explore

    space = load_space({
        "dropout": {"uniform": [0.1, 0.5]},
        "learning_rate": {"loguniform": [1e-3, 1e-2]},
        "lr_step_epochs": {"randint": [1, 4]},
        "batch_size": {"qrandint": [16, 64, 16]},
        "momentum": {"quniform": [0.5, 0.9, 0.1]},
        "hidden_units": {"choice": [8, 16]},
    })
    pbt = scheduler("pbt").build(SchedulerContext(scheduler("pbt").Options(name="pbt"), space, 9))
    random.seed(0)
    for start in ({"dropout": 0.5, "learning_rate": 1e-2, "lr_step_epochs": 3, "batch_size": 64, "momentum": 0.9},
                  {"dropout": 0.1, "learning_rate": 1e-3, "lr_step_epochs": 1, "batch_size": 16, "momentum": 0.5}):
        config = {**start, "hidden_units": 8}
        for _ in range(50):
            config, _ = _explore(config, pbt._hyperparam_mutations, pbt._resample_probability,
                                 pbt._perturbation_factors, pbt._custom_explore_fn)
            for name, domain in space.domains.items():
                assert inside(domain, config[name]), (name, config[name])


def test_bayesopt_runs_each_decoded_configuration_once_then_is_exhausted():
    """Many BayesOpt floats decode to one choice: a repeat is told its known result, not rerun."""
    from ray.tune.search import SearchGenerator

    space = load_space({"hidden_units": {"choice": [8, 16]}, "learning_rate": {"choice": [0.01, 0.1]}, "batch_size": 32})
    options = algorithm("bayesopt").Options(algorithm="bayesopt", num_samples=12, random_starts=2)
    searcher, param_space = algorithm("bayesopt").build(SearchContext(space, options, METRIC, MODE))
    search_alg = SearchGenerator(searcher)
    start(search_alg, param_space, options.num_samples)
    configs = draw(search_alg, options.num_samples)
    decoded = [(config["hidden_units"], config["learning_rate"]) for config in configs]
    assert len(decoded) == len(set(decoded)) and 1 < len(decoded) <= 4
    assert search_alg.is_finished() and searcher.exhausted


def test_bayesopt_keeps_proposing_inside_the_space_after_diverged_trials():
    """Diverged trials report chance level (0.1 of ten classes), not a cliff: the Gaussian process
    still fits, and its next proposals are new configurations inside every domain."""
    from ray.tune.search import SearchGenerator

    options = algorithm("bayesopt").Options(algorithm="bayesopt", num_samples=12, random_starts=3)
    searcher, param_space = algorithm("bayesopt").build(SearchContext(load_space(MIXED), options, METRIC, MODE))
    search_alg = SearchGenerator(searcher)
    start(search_alg, param_space, options.num_samples)
    configs = []
    for index in range(options.num_samples):
        trial = search_alg.next_trial()
        assert trial is not None and not searcher.exhausted, f"stopped proposing after {index} trials"
        configs.append(trial.config)
        value = 0.1 if index % 2 == 0 else 0.9 + 0.001 * index  # every other trial diverged
        search_alg.on_trial_complete(trial.trial_id, result={METRIC: value, "training_iteration": 1})
    for config in configs:
        for name, domain in load_space(MIXED).domains.items():
            assert inside(domain, config[name]), (name, config[name])
    assert len({tuple(sorted(config.items())) for config in configs}) == len(configs)

