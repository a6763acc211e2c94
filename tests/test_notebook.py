"""The quickstart notebook, executed top to bottom in a real kernel on smoke settings."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

pytestmark = pytest.mark.slow

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "quickstart.ipynb"


def test_quickstart_notebook_runs_and_stays_compact(tmp_path, monkeypatch):
    monkeypatch.setenv("CNN_TUNE_SMOKE", "1")
    monkeypatch.setenv("CNN_TUNE_STORAGE", str(tmp_path))
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    rich = [o for o in outputs if o.output_type in ("display_data", "execute_result")]
    assert sum("image/png" in o.data for o in rich) == 4
    assert any("<table" in o.data.get("text/html", "") for o in rich)  # the DataFrame
    assert any("'config'" in o.data.get("text/plain", "") for o in rich)  # result.best
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert len(text.splitlines()) < 400, "the progress display flooded the notebook"
    assert list(tmp_path.glob("notebook-*-smoke/report.html"))
