"""Hyperparameter spaces as data (YAML), turned into Ray Tune domains.

A space maps each hyperparameter to a constant or one domain, written as
``{kind: [arguments]}`` with Ray Tune's kinds and argument order::

    hidden_units: {grid: [128, 256, 512]}
    learning_rate: {loguniform: [1.0e-4, 1.0]}
    l1: {choice: [0, 0.001, 0.01, 0.1]}
    batch_size: {qrandint: [16, 256, 16]}
    optimizer: adam

The same space feeds every search algorithm: grid and random search take the Ray
domains as they are; each other algorithm's module turns the domains into what its
searcher understands (BayesOpt's continuous boxes live in its own module).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Union

from core.errors import InputError, UnknownName
from core.files import read_named_yaml, shipped_names

SPACES_DIR = Path(__file__).parent


class SpaceError(InputError):
    pass


@dataclass(frozen=True)
class Constant:
    value: Any

    def to_tune(self) -> Any:
        return self.value

    def values(self) -> list[Any]:
        return [self.value]


@dataclass(frozen=True)
class Categorical:
    """``grid`` (every value, once per sample) or ``choice`` (one value at random)."""

    kind: str
    options: tuple

    def to_tune(self) -> Any:
        from ray import tune

        return tune.grid_search(list(self.options)) if self.kind == "grid" else tune.choice(list(self.options))

    def values(self) -> list[Any]:
        return list(self.options)


@dataclass(frozen=True)
class Numeric:
    """A number between ``low`` and ``high``, as Ray Tune defines its kinds.

    As in Ray, ``randint`` and ``lograndint`` exclude ``high``; the quantized
    integer kinds (``qrandint``, ``qlograndint``) include it, except with ``q = 1``.
    A quantized domain holds exactly the multiples ``k * q`` Ray 2.60 draws from it.
    """

    kind: str
    low: float
    high: float
    q: float | None = None

    @property
    def integer(self) -> bool:
        return "randint" in self.kind

    @property
    def log(self) -> bool:
        return "log" in self.kind

    def to_tune(self) -> Any:
        from ray import tune

        arguments = (self.low, self.high) if self.q is None else (self.low, self.high, self.q)
        return getattr(tune, self.kind)(*arguments)

    def grid(self) -> tuple[int, int]:
        """(first, last) ``k`` of the values ``k * q`` Ray draws from this quantized domain.

        Ray rounds each bound inwards to the grid (a bound within float error of a multiple
        counts as that multiple), and with ``q = 1`` an integer domain excludes ``high``.
        """
        assert self.q is not None, "only a quantized domain has a grid"

        def index(bound: float, inwards) -> int:
            scaled = bound / self.q
            return int(round(scaled)) if math.isclose(scaled, round(scaled)) else int(inwards(scaled))

        last = index(self.high, math.floor)
        return index(self.low, math.ceil), last - 1 if self.integer and self.q == 1 else last

    def on_grid(self, k: int) -> float | int:
        """The value Ray produces for grid index ``k`` (its own arithmetic: ``k * q``, cast)."""
        value = k * self.q
        return int(value) if self.integer else float(value)

    def nearest(self, value: float) -> float | int:
        """The value of this domain nearest to ``value``: within its bounds, on its grid, of its type."""
        if self.q is not None:
            first, last = self.grid()
            return self.on_grid(min(max(round(value / self.q), first), last))
        if self.integer:
            return min(max(int(round(value)), int(self.low)), int(self.high) - 1)
        return float(min(max(value, self.low), self.high))

    def values(self) -> list[Any]:
        if self.q is not None:
            return [self.on_grid(k) for k in self.grid()]
        return [self.low, self.high - 1 if self.integer else self.high]


Domain = Union[Constant, Categorical, Numeric]
NUMERIC_KINDS = ("uniform", "quniform", "loguniform", "qloguniform", "randint", "qrandint", "lograndint", "qlograndint")
CATEGORICAL_KINDS = ("grid", "choice")
KINDS = CATEGORICAL_KINDS + NUMERIC_KINDS


def parse_domain(name: str, raw: Any) -> Domain:
    """One hyperparameter's entry of a space, checked; errors name the hyperparameter."""
    if not isinstance(raw, Mapping):
        if isinstance(raw, (list, tuple)):
            raise SpaceError(f"space.{name}: a list is ambiguous; write {{grid: [...]}} or {{choice: [...]}}")
        return Constant(raw)
    if len(raw) != 1:
        raise SpaceError(f"space.{name}: write one domain as {{kind: [arguments]}}, got {dict(raw)}")
    kind, arguments = next(iter(raw.items()))
    if kind not in KINDS:
        raise UnknownName("domain kind", kind, list(KINDS), field=f"space.{name}")
    if not isinstance(arguments, (list, tuple)):
        raise SpaceError(f"space.{name}: {kind} takes a list, got {arguments!r}")
    if kind in CATEGORICAL_KINDS:
        if not arguments:
            raise SpaceError(f"space.{name}: {kind} needs at least one value")
        return Categorical(kind, tuple(arguments))
    quantized = kind.startswith("q")
    expected = 3 if quantized else 2
    if len(arguments) != expected or not all(_is_number(a) for a in arguments):
        shape = "[low, high, q]" if quantized else "[low, high]"
        raise SpaceError(f"space.{name}: {kind} takes {shape} as numbers, got {list(arguments)}")
    domain = Numeric(kind, *arguments)
    if domain.low >= domain.high:
        raise SpaceError(f"space.{name}: {kind} needs low < high, got low={domain.low} high={domain.high}")
    if domain.log and domain.low <= 0:
        raise SpaceError(f"space.{name}: {kind} is on a log scale and needs low > 0, got {domain.low}")
    if domain.q is not None and domain.q <= 0:
        raise SpaceError(f"space.{name}: {kind} needs q > 0, got {domain.q}")
    if domain.integer and not all(float(a).is_integer() for a in arguments):
        raise SpaceError(f"space.{name}: {kind} takes whole numbers, got {list(arguments)}")
    if domain.q is not None and not domain.integer and not all(_multiple(bound, domain.q) for bound in (domain.low, domain.high)):
        raise SpaceError(f"space.{name}: {kind} needs low and high that are multiples of q (Ray refuses others), got {list(arguments)}")
    if domain.q is not None and domain.grid()[0] > domain.grid()[1]:
        raise SpaceError(f"space.{name}: {kind} has no multiple of q={domain.q} between {domain.low} and {domain.high}")
    return domain


def _multiple(value: float, q: float) -> bool:
    return math.isclose(value / q, round(value / q))


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


@dataclass(frozen=True)
class Space:
    name: str
    domains: dict[str, Domain]

    def searched(self) -> dict[str, Domain]:
        return {k: d for k, d in self.domains.items() if not isinstance(d, Constant)}

    def constants(self) -> dict[str, Any]:
        return {k: d.value for k, d in self.domains.items() if isinstance(d, Constant)}

    def grid_names(self) -> list[str]:
        return [k for k, d in self.domains.items() if isinstance(d, Categorical) and d.kind == "grid"]

    def grid_size(self) -> int:
        return math.prod(len(self.domains[k].options) for k in self.grid_names())

    def to_tune(self) -> dict[str, Any]:
        """The param_space for grid and random search (Ray's BasicVariantGenerator)."""
        return {k: d.to_tune() for k, d in self.domains.items()}

    def typed(self, config: Mapping[str, Any]) -> dict[str, Any]:
        """Values as plain Python of the domain's type: a searcher's 64.0 becomes 64."""
        out = {}
        for name, value in config.items():
            domain = self.domains.get(name)
            if isinstance(domain, Numeric):
                value = int(round(value)) if domain.integer else float(value)
            elif hasattr(value, "item"):
                value = value.item()
            out[name] = value
        return out

    def as_data(self) -> dict[str, Any]:
        """The space written back as YAML-able data (for manifests and summaries)."""
        out: dict[str, Any] = {}
        for k, d in self.domains.items():
            if isinstance(d, Constant):
                out[k] = d.value
            elif isinstance(d, Categorical):
                out[k] = {d.kind: list(d.options)}
            else:
                out[k] = {d.kind: [d.low, d.high] + ([d.q] if d.q is not None else [])}
        return out


def space_names() -> list[str]:
    return shipped_names(SPACES_DIR)


def raw_space(reference: str | Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """(name, mapping) of a space given by name, by YAML path, or inline."""
    if isinstance(reference, Mapping):
        return "inline", dict(reference)
    if not isinstance(reference, str):
        raise SpaceError(f"space: give a space name, a YAML path or a mapping, got {reference!r}")
    path, data = read_named_yaml(reference, SPACES_DIR, "space", SpaceError, field="space")
    if not isinstance(data, Mapping) or not data:
        raise SpaceError(f"space: {path} must map hyperparameter names to domains")
    return path.stem, dict(data)


def load_space(reference: str | Mapping[str, Any]) -> Space:
    name, data = raw_space(reference)
    return Space(name, {str(k): parse_domain(str(k), v) for k, v in data.items()})


def describe(name: str) -> str:
    """A space file's first comment line, for ``cnn-tune list``."""
    first = (SPACES_DIR / f"{name}.yaml").read_text().splitlines()[0]
    return first.lstrip("# ").strip() if first.startswith("#") else ""
