"""What a benchmark records: every run under the command line it was really started with."""

from __future__ import annotations

import json
import sys

from benchmarks import common


def test_a_run_is_recorded_under_its_real_command_line(tmp_path, monkeypatch):
    monkeypatch.setattr(common, "RESULTS", tmp_path / "results")
    monkeypatch.setattr(common, "BENCHMARKS_MD", tmp_path / "BENCHMARKS.md")
    monkeypatch.setattr(sys, "argv", [str(common.ROOT / "benchmarks" / "speed.py"), "--repeats", "1", "--parts", "small trial"])
    path = common.record("speed", {"x": 1}, "a summary", variables="KERAS_BACKEND=jax")
    said = "KERAS_BACKEND=jax python benchmarks/speed.py --repeats 1 --parts 'small trial'"
    assert json.loads(path.read_text())["command"] == said
    assert f"| speed | `{said}` |" in (tmp_path / "BENCHMARKS.md").read_text()


def test_a_smoke_run_records_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(common, "RESULTS", tmp_path / "results")
    monkeypatch.setattr(common, "BENCHMARKS_MD", tmp_path / "BENCHMARKS.md")
    assert common.record("speed", {}, "a summary", smoke=True) is None
    assert not (tmp_path / "results").exists() and not (tmp_path / "BENCHMARKS.md").exists()
