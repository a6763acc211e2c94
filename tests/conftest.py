"""Shared fixtures: one local Ray instance on loopback for the whole session."""

from __future__ import annotations

import os

import pytest

# Before Ray is imported anywhere: keep every Ray process on 127.0.0.1.
os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def pytest_collection_modifyitems(config, items):
    """The launcher test runs only when asked for by name (-m launcher): its `ray down`
    stops every Ray process of its uid, the other tests' included."""
    if "launcher" in (config.option.markexpr or ""):
        return
    kept = [item for item in items if "launcher" not in item.keywords]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[item for item in items if "launcher" in item.keywords])
        items[:] = kept


@pytest.fixture(scope="session")
def ray_local():
    """A real local Ray instance, shared by the tests that run sweeps in-process.

    One CPU: `make test` runs two pytest workers on two cores, and a sweep whose trials run one
    at a time reuses one trial actor, so TensorFlow is imported once per sweep, not per trial."""
    import ray

    from experiments.runner import LOOPBACK, stay_on_loopback

    stay_on_loopback()
    ray.init(
        address="local",
        num_cpus=1,
        _node_ip_address=LOOPBACK,
        include_dashboard=False,
        log_to_driver=False,
    )
    yield ray
    ray.shutdown()


@pytest.fixture
def storage(tmp_path):
    return str(tmp_path / "runs")


@pytest.fixture
def short_tmp():
    """A short temp folder: Ray's Unix socket paths under it must stay within 107 bytes."""
    import shutil
    import tempfile

    path = tempfile.mkdtemp(prefix="ct", dir="/tmp")
    yield path
    shutil.rmtree(path, ignore_errors=True)
