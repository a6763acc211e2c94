"""The stratified splits are scikit-learn's, index for index and error for error.

A seed must keep giving the splits it gave when the driver called scikit-learn, so resumed and
re-run sweeps, and the benchmarks' recorded runs, see the same images in the same parts.
"""

import subprocess
import sys

import numpy as np
import pytest
from sklearn.model_selection import StratifiedKFold, train_test_split

from trainables.splits import holdout, kfold

rng = np.random.default_rng(0)
LABELS = {
    "balanced, sorted": np.repeat(np.arange(10), 50),
    "uneven, shuffled": rng.integers(0, 7, 613),
    "string labels": np.array(["cat", "dog", "emu"])[rng.integers(0, 3, 90)],
    "two classes, one tiny": np.array([0] * 40 + [1] * 3),
    "labels not from zero": rng.choice([3, 9, 11], 77),
}


@pytest.mark.parametrize("labels", LABELS, ids=str)
@pytest.mark.parametrize("size", [0.2, 0.1, 0.5, 0.37, 12])
@pytest.mark.parametrize("seed", [0, 1, 42])
def test_holdout_draws_the_indices_train_test_split_draws(labels, size, seed):
    y = LABELS[labels]
    expected = train_test_split(np.arange(len(y)), test_size=size, stratify=y, random_state=seed, shuffle=True)
    train, test = holdout(y, size, seed)
    assert np.array_equal(train, expected[0]) and np.array_equal(test, expected[1])


@pytest.mark.parametrize("labels", LABELS, ids=str)
@pytest.mark.filterwarnings("ignore:The least populated class")
@pytest.mark.parametrize("n_splits", [2, 3, 5])
@pytest.mark.parametrize("seed", [0, 7])
def test_kfold_deals_the_folds_stratified_kfold_deals(labels, n_splits, seed):
    y = LABELS[labels]
    expected = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed).split(np.zeros(len(y)), y)
    for (train, test), (sk_train, sk_test) in zip(kfold(y, n_splits, seed), expected, strict=True):
        assert np.array_equal(train, sk_train) and np.array_equal(test, sk_test)


def sklearn_error(call) -> str:
    with pytest.raises(ValueError) as raised:
        call()
    return str(raised.value)


@pytest.mark.parametrize(
    "y, size",
    [
        (np.array([0, 0, 1, 1, 2]), 0.4),  # a class of one
        (np.repeat(np.arange(10), 3), 0.2),  # 6 held out, 10 classes
        (np.repeat(np.arange(10), 3), 25),  # 5 kept, 10 classes
        (np.repeat(np.arange(2), 3), 6),  # nothing left to train on
    ],
)
def test_holdout_refuses_what_train_test_split_refuses_with_its_words(y, size):
    expected = sklearn_error(lambda: train_test_split(np.arange(len(y)), test_size=size, stratify=y, random_state=0))
    assert sklearn_error(lambda: holdout(y, size, 0)) == expected


@pytest.mark.parametrize("y, n_splits", [(np.array([0, 1, 0, 1]), 5), (np.repeat(np.arange(4), 2), 3)])
def test_kfold_refuses_what_stratified_kfold_refuses_with_its_words(y, n_splits):
    splitter = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=0)
    expected = sklearn_error(lambda: list(splitter.split(np.zeros(len(y)), y)))
    assert sklearn_error(lambda: kfold(y, n_splits, 0)) == expected


def test_kfold_warns_as_stratified_kfold_does_of_a_class_smaller_than_the_folds():
    y = np.array([0] * 10 + [1] * 2)
    with pytest.warns(UserWarning) as expected:
        list(StratifiedKFold(n_splits=3, shuffle=True, random_state=0).split(np.zeros(len(y)), y))
    with pytest.warns(UserWarning) as ours:
        kfold(y, 3, 0)
    assert [str(w.message) for w in ours] == [str(w.message) for w in expected]


def test_preparing_split_data_imports_no_scikit_learn():
    """The point of these splits: a driver that splits digits into folds never pays for sklearn."""
    code = (
        "import sys\n"
        "from trainables.data import prepare\n"
        "prepare('digits', validation=0.2, test=0.1, seed=0)\n"
        "prepare('mnist-5k', folds=3, limit=600, seed=0)\n"
        "print(sorted({m.partition('.')[0] for m in sys.modules} & {'sklearn'}))\n"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"
