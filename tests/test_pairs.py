"""Which search algorithms run with which schedulers: one rule, refused at validation with the reason."""

import pytest

import experiments
from core.errors import InputError
from experiments.algorithms import ALGORITHMS
from experiments.schedulers import SCHEDULERS
from experiments.spec import pair_refusal

PAIRS = [(a, s) for a in ALGORITHMS.names() for s in SCHEDULERS.names()]


def spec_for(algorithm: str, scheduler: str) -> dict:
    space = {"grid": "seed-grid", "bayesopt": "seed-bayesopt"}.get(algorithm, "quickstart")
    return {"name": "pair", "space": space, "search": {"algorithm": algorithm}, "scheduler": {"name": scheduler}}


@pytest.mark.parametrize("algorithm, scheduler", PAIRS)
def test_validation_accepts_exactly_the_pairs_the_rule_allows(algorithm, scheduler):
    refusal = pair_refusal(algorithm, scheduler)
    if refusal is None:
        experiments.validate(spec_for(algorithm, scheduler))
    else:
        with pytest.raises(InputError, match=r"^scheduler\.name: "):
            experiments.validate(spec_for(algorithm, scheduler))


def test_bohb_runs_only_with_its_own_hyperband():
    assert pair_refusal("bohb", "bohb") is None
    for other in set(SCHEDULERS.names()) - {"bohb"}:
        assert pair_refusal("bohb", other)
    for other in set(ALGORITHMS.names()) - {"bohb"}:
        assert pair_refusal(other, "bohb")


def test_model_based_searchers_are_refused_with_pbt():
    for name in ALGORITHMS.names():
        refusal = pair_refusal(name, "pbt")
        if ALGORITHMS.load(name).model_based:
            assert "Ray runs it only with grid or random search" in refusal
        else:
            assert refusal is None
