"""Shared fixtures: one local Ray instance on loopback for the whole session."""

from __future__ import annotations

import os

import pytest

# Before Ray is imported anywhere: keep every Ray process on 127.0.0.1.
os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


# Modules whose tests share a module-scoped sweep or cluster: each runs whole on one xdist worker,
# or every worker that gets one of its tests builds the fixture again (a minute or more each).
# (pytest 9 ignores xdist_group marks: xdist marks the group in a node id pytest no longer reads.)
WHOLE_MODULES = ("tests/test_report.py", "tests/test_report_scale.py", "tests/test_resume.py", "tests/test_two_nodes.py")


def pytest_xdist_make_scheduler(config, log):
    from xdist.scheduler import LoadScopeScheduling

    class ModuleOrTest(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::")[0]
            return module if module in WHOLE_MODULES else nodeid

    return ModuleOrTest(config, log)


def pytest_collection_modifyitems(config, items):
    """The launcher test runs only when asked for by name (-m launcher): its `ray down`
    stops every Ray process of its uid, the other tests' included.

    The whole modules, the largest units xdist hands out (one to four minutes each under `make test`),
    go first, so that none is handed out last to run on alone while the other workers sit idle."""
    items.sort(key=lambda item: item.nodeid.split("::")[0] not in WHOLE_MODULES)  # stable: otherwise as collected
    if "launcher" in (config.option.markexpr or ""):
        return
    kept = [item for item in items if "launcher" not in item.keywords]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[item for item in items if "launcher" in item.keywords])
        items[:] = kept


@pytest.fixture(autouse=True)
def _fast_tier_starts_no_ray(request):
    """The fast tier (`make check`) must stay fast: a test that starts Ray is marked slow."""
    if "ray_local" in request.fixturenames and request.node.get_closest_marker("slow") is None:
        pytest.fail("this test starts Ray: mark it @pytest.mark.slow (the fast tier runs no sweep)")


@pytest.fixture(scope="session")
def ray_local():
    """A real local Ray instance, shared by the tests that run sweeps in-process.

    One CPU: `make test` runs the sweeps in three pytest workers on two cores, and a sweep whose trials run one
    at a time reuses one trial actor, so TensorFlow is imported once per sweep, not per trial."""
    import ray

    from experiments.ray_start import init_local

    init_local(num_cpus=1, num_gpus=None, log_to_driver=False)
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
