"""Name → module registries with lazy imports, shared by every extension point.

Listing or validating names must never import TensorFlow, Ray or a search library,
so a registry holds module paths and imports an entry only when it is used.
"""

from __future__ import annotations

import ast
import difflib
import importlib
import importlib.util
from pathlib import Path
from types import ModuleType


class InputError(ValueError):
    """Bad input from the user: reported as one line, exit code 2, before Ray starts."""


class UnknownName(InputError):
    def __init__(self, kind: str, name: object, valid: list[str], field: str | None = None):
        close = difflib.get_close_matches(str(name), valid, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        where = f"{field}: " if field else ""
        super().__init__(f"{where}unknown {kind} '{name}'{hint}; valid: {', '.join(valid)}")


class Registry:
    """Entries by name; each entry is one small module imported on first use."""

    def __init__(self, kind: str, modules: dict[str, str]):
        self.kind = kind
        self._modules = dict(modules)

    def names(self) -> list[str]:
        return sorted(self._modules)

    def __contains__(self, name: object) -> bool:
        return name in self._modules

    def check(self, name: str, field: str | None = None) -> str:
        if name not in self._modules:
            raise UnknownName(self.kind, name, self.names(), field)
        return name

    def load(self, name: str, field: str | None = None) -> ModuleType:
        return importlib.import_module(self._modules[self.check(name, field)])

    def describe(self, name: str) -> str:
        """The first line of the entry's docstring, read without importing it."""
        origin = importlib.util.find_spec(self._modules[self.check(name)]).origin
        doc = ast.get_docstring(ast.parse(Path(origin).read_text())) or ""
        return doc.splitlines()[0] if doc else ""
