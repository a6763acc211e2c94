"""Hyperparameter spaces as data (YAML), turned into Ray Tune domains.

A space maps each hyperparameter to a constant or one domain, written as
``{kind: [arguments]}`` with Ray Tune's kinds and argument order::

    hidden_units: {grid: [128, 256, 512]}
    learning_rate: {loguniform: [1.0e-4, 1.0]}
    l1: {choice: [0, 0.001, 0.01, 0.1]}
    batch_size: {qrandint: [16, 256, 16]}
    optimizer: adam

The same space feeds every search algorithm: grid and random search take the Ray
domains as they are; BayesOpt, which sees only continuous boxes, gets an encoding
(log scale for log domains, a range for integers and choices) and every suggestion
is decoded back before it reaches a trial.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Union

import yaml

from trainables.registry import InputError, UnknownName

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

    def box(self) -> tuple[float, float]:
        return 0.0, float(len(self.options))

    def decode(self, u: float) -> Any:
        return self.options[min(int(math.floor(u)), len(self.options) - 1)]


@dataclass(frozen=True)
class Numeric:
    """A number between ``low`` and ``high``, as Ray Tune defines its kinds.

    As in Ray, ``randint`` and ``lograndint`` exclude ``high``; the quantized
    integer kinds (``qrandint``, ``qlograndint``) include it.
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

    def values(self) -> list[Any]:
        last = self.high if self.q is not None or not self.integer else self.high - 1
        return [self.low, last]

    def box(self) -> tuple[float, float]:
        high = self.high if self.q is not None or not self.integer else self.high - 1e-9
        return (math.log(self.low), math.log(high)) if self.log else (float(self.low), float(high))

    def decode(self, u: float) -> float | int:
        value = math.exp(u) if self.log else u
        if self.q is not None:
            value = round(value / self.q) * self.q
        value = min(max(value, self.low), self.high)
        if self.integer:
            value = int(round(value)) if self.q is not None else int(math.floor(value))
            return min(value, int(self.high) if self.q is not None else int(self.high) - 1)
        return float(value)


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
    return domain


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

    def boxes(self) -> dict[str, tuple[float, float]]:
        """Continuous bounds of every searched hyperparameter, for BayesOpt."""
        return {k: d.box() for k, d in self.searched().items()}

    def decode(self, encoded: Mapping[str, float]) -> dict[str, Any]:
        """A point of ``boxes()`` as the hyperparameter values it stands for."""
        searched = self.searched()
        return {k: searched[k].decode(v) if k in searched else v for k, v in encoded.items()}

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
    return sorted(p.stem for p in SPACES_DIR.glob("*.yaml"))


def read_yaml(path: Path, what: str) -> Any:
    """YAML read with the safe loader; a syntax error becomes one line naming the file."""
    try:
        return yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise InputError(f"{what}: malformed YAML in {path}{where}: {problem}") from None


def raw_space(reference: str | Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """(name, mapping) of a space given by name, by YAML path, or inline."""
    if isinstance(reference, Mapping):
        return "inline", dict(reference)
    if not isinstance(reference, str):
        raise SpaceError(f"space: give a space name, a YAML path or a mapping, got {reference!r}")
    path = Path(reference).expanduser()
    if not (reference.endswith((".yaml", ".yml")) or path.is_file()):
        if reference not in space_names():
            raise UnknownName("space", reference, space_names(), field="space")
        path = SPACES_DIR / f"{reference}.yaml"
    if not path.is_file():
        raise SpaceError(f"space: no such file '{path}'")
    data = read_yaml(path, "space")
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
