"""``--set key.path=value`` and the Python API's keyword overrides, applied to an experiment's data."""

from __future__ import annotations

import copy
from typing import Any, Mapping

import yaml

from core.errors import InputError
from experiments.sections import SchedulerSpec, SearchSpec
from search_spaces import raw_space

# Setting these switches to another module: its options start from their defaults, and the
# previous module's options (say ASHA's grace_period when switching to fifo) are dropped.
SWITCHES = {("scheduler", "name"): set(SchedulerSpec.model_fields), ("search", "algorithm"): set(SearchSpec.model_fields)}


def apply_overrides(data: dict[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """``{"search.num_samples": 4}`` set into nested data; a named space is opened to be edited."""
    data = copy.deepcopy(data)
    for dotted, value in overrides.items():
        keys = dotted.split(".")
        common = SWITCHES.get(tuple(keys))
        section = data.get(keys[0])
        if common is not None and isinstance(section, dict) and section.get(keys[1]) != value:
            data[keys[0]] = {k: v for k, v in section.items() if k in common}
        if keys[0] == "space" and len(keys) > 1 and isinstance(data.get("space"), str):
            data["space"] = raw_space(data["space"])[1]
        node = data
        for key in keys[:-1]:
            child = node.get(key)
            if child is None:
                child = node[key] = {}
            if not isinstance(child, dict):
                raise InputError(f"--set {dotted}: '{key}' is {child!r}, not a section")
            node = child
        node[keys[-1]] = value
    return data


def parse_assignment(text: str) -> tuple[str, Any]:
    """``key.path=value`` from the command line; the value is read as YAML (numbers, lists, maps)."""
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise InputError(f"--set: expected KEY=VALUE, got {text!r}")
    try:
        return key.strip(), yaml.safe_load(value)
    except yaml.YAMLError:
        raise InputError(f"--set {key}: cannot read {value!r} as a value") from None
