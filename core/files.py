"""YAML files found by shipped name or by path: experiments and spaces are both given this way."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from core.errors import InputError, UnknownName


def shipped_names(folder: Path) -> list[str]:
    return sorted(path.stem for path in folder.glob("*.yaml"))


def read_yaml(path: Path, what: str) -> Any:
    """YAML read with the safe loader; a syntax error becomes one line naming the file."""
    try:
        return yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise InputError(f"{what}: malformed YAML in {path}{where}: {problem}") from None


def read_named_yaml(
    reference: str, folder: Path, what: str, error: type[InputError] = InputError, field: str | None = None
) -> tuple[Path, Any]:
    """(path, data) of a YAML given by a name shipped in ``folder`` or by a path; errors name ``what``."""
    path = Path(reference).expanduser()
    if not (reference.endswith((".yaml", ".yml")) or path.is_file()):
        if reference not in shipped_names(folder):
            raise UnknownName(what, reference, shipped_names(folder), field=field)
        path = folder / f"{reference}.yaml"
    if not path.is_file():
        raise error(f"{what}: no such file '{path}'")
    return path, read_yaml(path, what)
