"""Reports of real sweeps: one with diverged and errored trials (files, figures, tables, a real browser), one wide enough for importances."""

from __future__ import annotations

import html
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import experiments
from core import statuses
from experiments.figures import FIGURES, best_so_far_figure, learning_curves_figure, marginals_figure
from experiments.importance import MIN_SCORED
from experiments.tables import Sweep

pytestmark = pytest.mark.slow  # one xdist worker runs the whole module (conftest.WHOLE_MODULES)


@pytest.fixture(scope="module")
def faulty(ray_local, tmp_path_factory):
    """A grid with a diverging learning rate and a width too large to allocate."""
    space = {"learning_rate": {"grid": [1.0, 0.001]}, "hidden_units": {"grid": [16, 100_000_000]}}
    return experiments.run(
        {"name": "faults", "space": space}, storage=str(tmp_path_factory.mktemp("runs")), verbose=0,
        search={"algorithm": "grid"}, dataset={"limit": 200}, train={"max_epochs": 2}, failure={"max_failures": 1},
    )


@pytest.fixture(scope="module")
def searched(ray_local, tmp_path_factory):
    """Enough one-epoch trials on digits for importances: a learning rate over three decades, two widths;
    tuned on the training loss, so the figures must follow the sweep's own metric."""
    space = {"learning_rate": {"loguniform": [3e-5, 3e-2]}, "hidden_units": {"choice": [8, 32]}}
    return experiments.run(
        {"name": "importance", "space": space}, storage=str(tmp_path_factory.mktemp("runs")), verbose=0, metric="loss",
        search={"num_samples": MIN_SCORED + 2}, scheduler={"name": "fifo"}, dataset={"name": "digits", "limit": 200},
        train={"max_epochs": 1},
    )


def test_best_so_far_plots_the_sweeps_own_metric(searched):
    sweep = Sweep(searched)
    assert (sweep.metric, sweep.mode) == ("loss", "min")
    by_time = best_so_far_figure(sweep).axes[0]
    losses = sweep.history.loss.to_numpy()  # in arrival order
    assert by_time.get_ylabel() == "best loss so far"
    np.testing.assert_allclose(by_time.lines[0].get_ydata(), np.minimum.accumulate(losses))
    assert not np.allclose(losses, sweep.history.val_loss.to_numpy())  # the figure could tell the two apart


def test_diverging_and_failing_trials_do_not_stop_the_sweep(faulty):
    table = faulty.dataframe.set_index(["learning_rate", "hidden_units"])
    assert table.loc[(1.0, 16), "status"] == "diverged"
    assert table.loc[(1.0, 16), "epochs"] == 1  # stopped at once
    assert table.loc[(0.001, 16), "status"] == "completed"
    for rate in (1.0, 0.001):
        assert table.loc[(rate, 100_000_000), "status"] == "errored"
        assert table.loc[(rate, 100_000_000), "error"]
        assert table.loc[(rate, 100_000_000), "retries"] == 1  # retried per failure.max_failures, then given up
    counts = faulty.summary["status_counts"]
    assert counts == {"running": 0, "completed": 1, "stopped_early": 0, "diverged": 1, "errored": 2}
    assert faulty.best["config"] == {"learning_rate": 0.001, "hidden_units": 16}


def test_the_run_writes_its_report_with_every_figure(faulty):
    run_dir = Path(faulty.run_dir)
    page = (run_dir / "report.html").read_text()
    for name in FIGURES:
        assert (run_dir / f"{name}.png").stat().st_size > 5_000
    assert page.count("data:image/png;base64,") == len(FIGURES)
    assert "Diverged and errored trials" in page and "diverged" in page and "errored" in page
    for message in faulty.dataframe.error.dropna():
        assert message.split(":")[0] in page  # the exception of each errored trial is shown


def test_learning_curves_draw_one_curve_per_trial_that_reported(faulty):
    figure = learning_curves_figure(Sweep(faulty))
    curves = [line for line in figure.axes[0].lines if (line.get_gid() or "").startswith("trial:")]
    assert len(curves) == faulty.history.trial_id.nunique() == 2  # the errored trials never reported an epoch


def test_report_command_redraws_a_run(faulty, tmp_path):
    (Path(faulty.run_dir) / "report.html").unlink()
    done = subprocess.run([str(Path(sys.executable).with_name("cnn-tune")), "report", str(faulty.run_dir)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert (Path(faulty.run_dir) / "report.html").is_file()


def test_report_loads_in_headless_chromium_with_every_image(faulty):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service("/usr/bin/chromedriver"))
    try:
        driver.get((Path(faulty.run_dir) / "report.html").as_uri())
        images = driver.execute_script(
            "return Array.from(document.images).map(i => [i.alt, i.complete, i.naturalWidth]);"
        )
    finally:
        driver.quit()
    assert len(images) == len(FIGURES)
    assert all(complete and width > 0 for _, complete, width in images), images


def test_trials_write_tensorboard_event_files(faulty):
    from tensorflow.compat.v1.train import summary_iterator

    events = sorted(Path(faulty.run_dir).glob("*/events.out.tfevents.*"))
    assert events, "no TensorBoard files in the trial folders"
    read = {path: list(summary_iterator(str(path))) for path in events}
    starts = {row.trial_id: 1 + row.retries for row in faulty.dataframe.itertuples()}
    writers = {trial_id: sum(bool(event.file_version) for path, file in read.items() if f"_{trial_id}_" in path.parent.name
                             for event in file) for trial_id in starts}
    assert writers == starts, "one writer per start of a trial"
    results = [{value.tag for value in event.summary.value} for file in read.values() for event in file if event.step]
    assert results and all({"ray/tune/val_accuracy", "ray/tune/val_loss"} <= tags for tags in results), (
        "each event holds a whole result (Tune's own logger, if it were added, writes one number per event)"
    )


def test_the_report_says_which_hyperparameters_mattered_with_the_top_twos_marginals(searched):
    run_dir, table = Path(searched.run_dir), searched.importance
    assert set(table.hyperparameter) == {"learning_rate", "hidden_units"}
    assert table.importance.between(0, 1).all() and table.importance.sum() <= 1 + 1e-9
    section = (run_dir / "report.html").read_text().split("<h2>Which hyperparameters mattered</h2>")[1].split("<h2>")[0]
    scored = (~searched.dataframe.status.isin(statuses.FAILED)).sum()
    assert scored >= MIN_SCORED and f"over {scored} trials that ended with a score" in table.attrs["note"]
    assert html.escape(table.attrs["note"]) in section
    assert re.findall(r"<td>([a-z_]+)</td>", section) == table.hyperparameter.tolist()
    assert (run_dir / "marginals.png").stat().st_size > 5_000
    figure = marginals_figure(Sweep(searched))
    panels = {axis.get_title().split(":")[0]: axis for axis in figure.axes}
    assert list(panels) == table.hyperparameter.tolist()
    figure.canvas.draw()
    assert panels["learning_rate"].get_xscale() == "log", "the space samples it on a log scale"
    assert [tick.get_text() for tick in panels["hidden_units"].get_xticklabels()] == ["8", "32"]
    for axis in panels.values():
        assert axis.get_lines(), "the mean score along the hyperparameter"
