"""The record's files: CSV rows appended or replaced whole, cells read back as the values they were."""

from __future__ import annotations

import csv
import math
import os
from pathlib import Path
from typing import Any, Iterable, Sequence


def finite(value: Any) -> bool:
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def truthy(value: Any) -> bool:
    return value in (True, "True", "true", 1, "1")


# Columns of names that may look like numbers (an id "81432_00000" or "1234e567"): kept as text.
TEXT_COLUMNS = frozenset({"trial_id", "restored_from", "node_id", "gpu_ids", "cuda_visible_devices", "devices", "timestamp"})


def parse_row(row: dict[str, str]) -> dict[str, Any]:
    """A CSV row back to the values it was written from, names kept as written."""
    return {column: text if column in TEXT_COLUMNS else parse(text) for column, text in row.items()}


def parse(text: str) -> Any:
    """A CSV cell back to the number or word it was written from."""
    if text in ("True", "False"):
        return text == "True"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def atomic_write(path: Path, text: str) -> None:
    """Replace ``path`` whole: a reader sees the old file or the new one, never half of one."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text)
    os.replace(temporary, path)


def write_rows(path: Path, columns: Sequence[str], rows: Iterable[dict[str, Any]]) -> None:
    """Replace ``path`` whole with a header and ``rows`` (keys outside ``columns`` are ignored)."""
    temporary = path.with_name(f".{path.name}.tmp")
    with temporary.open("w", newline="") as stream:
        writer = csv.DictWriter(stream, columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    os.replace(temporary, path)


def upgrade_header(path: Path, columns: Sequence[str]) -> list[str]:
    """The columns to append to ``path`` with: ``columns``, then any the file has that they lack. A file
    another version wrote (a column since added, say) is rewritten under them first, so that appended
    rows line up with its header and none of its cells is dropped."""
    if not path.is_file():
        return list(columns)
    with path.open(newline="") as stream:
        header = next(csv.reader(stream), [])
    merged = [*columns, *(column for column in header if column not in columns)]
    if header != merged:
        write_rows(path, merged, read_rows(path))
    return merged


def append_row(path: Path, columns: Sequence[str], row: dict[str, Any]) -> None:
    """Append one row, writing the header first if the file is new."""
    new = not path.exists()
    with path.open("a", newline="") as stream:
        writer = csv.DictWriter(stream, columns, extrasaction="ignore")
        if new:
            writer.writeheader()
        writer.writerow(row)


def read_rows(path: Path) -> list[dict[str, str]]:
    """Every row of a CSV file as text, or none if it does not exist."""
    if not path.is_file():
        return []
    with path.open() as stream:
        return list(csv.DictReader(stream))
