"""Which hyperparameters mattered: fANOVA shares of the metric's variance (report.html, marginals.png, SweepResult.importance).

Optuna's fANOVA evaluator scores a study built from the sweep's per-trial table: each importance is the
share of the metric's variance that one hyperparameter explains alone, in a random forest fitted to the
trials that were run (Hutter et al., ICML 2014); what the shares leave is interactions and noise. Only
trials that ended with a score count: a running trial's score is not its last, and a diverged or errored
trial's says nothing about its configuration.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from core import statuses
from core.metrics import sign
from core.quiet import quiet_logger
from experiments.tables import FAILED, Sweep
from search_spaces import Domain, Numeric

# A forest fitted to fewer trials than this splits on single trials: its shares follow the noise of a
# few scores (and the forest's seed), not the hyperparameters, so no table is better than that one.
MIN_SCORED = 10
FITTED = 300  # of a larger sweep, a seeded random sample: fANOVA's time grows with the trials it fits, and a
# report of 10,000 trials must take seconds (tests/test_report_scale.py)
SEED = 0
COLUMNS = ["hyperparameter", "importance"]


def scored_trials(sweep: Sweep) -> pd.DataFrame:
    """The trials that ended (completed or stopped early) with a finite score."""
    trials, score = sweep.trials, f"best_{sweep.metric}"
    ended = trials.status.map(statuses.ended) & ~trials.status.isin(FAILED)
    return trials[ended & np.isfinite(pd.to_numeric(trials[score], errors="coerce"))]


def _distribution(values: pd.Series, domain: Domain | None) -> Any:
    """Optuna's distribution of a hyperparameter, from its domain in the space; its bounds widened to
    what the trials hold (a space that cannot be read back gives none: numbers become a linear span)."""
    import optuna.distributions as d

    numeric = pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    if isinstance(domain, Numeric) or (domain is None and numeric):
        span = [*(domain.values() if domain else []), values.min(), values.max()]
        log = bool(domain and domain.log)
        if domain and domain.integer:
            return d.IntDistribution(int(min(span)), int(max(span)), log=log)
        return d.FloatDistribution(float(min(span)), float(max(span)), log=log)
    return d.CategoricalDistribution(sorted(values.astype(str).unique()))


def _param(value: Any, distribution: Any) -> Any:
    import optuna.distributions as d

    if isinstance(distribution, d.CategoricalDistribution):
        return str(value)
    return int(value) if isinstance(distribution, d.IntDistribution) else float(value)


def _none(note: str) -> pd.DataFrame:
    table = pd.DataFrame(columns=COLUMNS)
    table.attrs["note"] = note
    return table


def importance_table(sweep: Sweep) -> pd.DataFrame:
    """One row per hyperparameter that varied among the scored trials, most important first; where there
    are too few scored trials (or nothing to explain), no rows. ``.attrs["note"]`` says over which trials
    the forest was fitted, or why there is no table."""
    import optuna

    score, scored = f"best_{sweep.metric}", scored_trials(sweep)
    if len(scored) < MIN_SCORED:
        return _none(f"No importances: {len(scored)} trials ended with a score, fewer than the {MIN_SCORED} "
                     "a forest needs before its shares say more than the noise of a few scores.")
    fitted = scored.sample(FITTED, random_state=SEED) if len(scored) > FITTED else scored
    names = [name for name in sweep.hyperparameters if fitted[name].nunique() > 1]
    if not names or fitted[score].nunique() < 2:
        return _none(f"No importances: across the {len(scored)} scored trials "
                     f"{'no hyperparameter varied' if not names else f'every {score} was the same'}.")
    domains = sweep.domains
    distributions = {name: _distribution(fitted[name], domains.get(name)) for name in names}
    with quiet_logger("optuna"):
        study = optuna.create_study(direction="maximize" if sign(sweep.mode) > 0 else "minimize")
    study.add_trials([
        optuna.trial.create_trial(params={name: _param(row[name], distributions[name]) for name in names},
                                  distributions=distributions, value=float(row[score]))
        for _, row in fitted.iterrows()
    ])
    shares = optuna.importance.FanovaImportanceEvaluator(seed=SEED).evaluate(study)
    table = pd.DataFrame(list(shares.items()), columns=COLUMNS).sort_values("importance", ascending=False, kind="stable")
    table = table.reset_index(drop=True)
    sampled = f"a random {len(fitted)} (seed {SEED}) of the " if len(fitted) < len(scored) else ""
    table.attrs["note"] = (f"fANOVA (Optuna, seed {SEED}) over {sampled}{len(scored)} trials that ended with a score, "
                           f"valued by {score}: each hyperparameter's share of the variance it explains alone (the rest is "
                           "interactions and noise), over the trials that were run: where a searcher or scheduler "
                           "concentrated the trials, that region weighs more.")
    return table
