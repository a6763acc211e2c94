"""Name → entry registries with lazy imports, shared by every extension point.

Listing or validating names must never import TensorFlow, Ray or a search library,
so a registry holds import paths and imports an entry only when it is used. An entry
is a module (``package.module``) or one object in it (``package.module:Name``).
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
from pathlib import Path
from typing import Any

from core.errors import UnknownName


class Registry:
    """Entries by name; each entry lives in one small module imported on first use."""

    def __init__(self, kind: str, entries: dict[str, str]):
        self.kind = kind
        self._entries = dict(entries)

    def names(self) -> list[str]:
        return sorted(self._entries)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def check(self, name: str, field: str | None = None) -> str:
        if name not in self._entries:
            raise UnknownName(self.kind, name, self.names(), field)
        return name

    def load(self, name: str, field: str | None = None) -> Any:
        module, _, attribute = self._entries[self.check(name, field)].partition(":")
        loaded = importlib.import_module(module)
        return getattr(loaded, attribute) if attribute else loaded

    def describe(self, name: str) -> str:
        """The first line of the entry module's docstring, read without importing it."""
        module = self._entries[self.check(name)].partition(":")[0]
        doc = ast.get_docstring(ast.parse(Path(importlib.util.find_spec(module).origin).read_text())) or ""
        return doc.splitlines()[0] if doc else ""
