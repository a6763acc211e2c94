"""Bad input from the user: one line naming the field and what it allows, exit code 2, before Ray starts."""

from __future__ import annotations

import difflib
import typing

from pydantic import BaseModel, ValidationError


class InputError(ValueError):
    """Bad input from the user: reported as one line, exit code 2, before Ray starts."""


class UnknownName(InputError):
    def __init__(self, kind: str, name: object, valid: list[str], field: str | None = None):
        close = difflib.get_close_matches(str(name), valid, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        where = f"{field}: " if field else ""
        super().__init__(f"{where}unknown {kind} '{name}'{hint}; valid: {', '.join(valid)}")


def describe_validation_error(error: ValidationError, prefix: str, model: type[BaseModel] | None = None) -> str:
    """The first pydantic error as one line, ``field.path: message``, with a spelling hint."""
    first = error.errors()[0]
    location = ".".join(str(part) for part in (prefix, *first["loc"]) if part != "")
    message = first["msg"]
    if first["type"] == "extra_forbidden":
        valid = _keys_at(model, first["loc"][:-1]) if model else []
        close = difflib.get_close_matches(str(first["loc"][-1]), valid, n=1)
        message = "unknown key" + (f" (did you mean '{close[0]}'?)" if close else "")
        if valid:
            message += f"; valid: {', '.join(valid)}"
    elif first["type"] == "value_error":
        message = str(first["ctx"]["error"])
    elif "input" in first and first["type"] != "missing" and "got" not in message:
        message = f"{message}, got {first['input']!r}"
    return f"{location}: {message}"


def _keys_at(model: type[BaseModel], path: tuple) -> list[str]:
    """The field names of the (nested) model that ``path`` leads to."""
    for part in path:
        field = model.model_fields.get(str(part))
        candidates = [field.annotation, *typing.get_args(field.annotation)] if field else []
        model = next((c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None)
        if model is None:
            return []
    return list(model.model_fields)
