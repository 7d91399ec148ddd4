"""Network structure: layers, projections and their connectivity patterns.

A :class:`Network` is plain, validated data: it knows nothing of any engine. Layer geometry is
2-D ``(Y, X)`` or 4-D ``(GY, GX, UY, UX)`` (unit groups, emergent's "pools"), flattened in C
order, as in emergent's ``.dat`` matrix columns.
"""
from __future__ import annotations

import dataclasses
import enum
import math
import re
from dataclasses import dataclass, field
from typing import Iterator, Union

from ..errors import SpecError, did_you_mean
from .params import LayerSpec
from .scalar_val import ScalarValLayerSpec

#: the layer spec types a layer can have (``Layer(spec_type=...)``) -> their parameter record
LAYER_SPECS: dict[str, type] = {cls.EMERGENT_TYPE: cls for cls in (LayerSpec, ScalarValLayerSpec)}
DEFAULT_LAYER_SPEC = LayerSpec.EMERGENT_TYPE

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class LayerKind(str, enum.Enum):
    """emergent's layer_type: INPUT is clamped, TARGET is clamped in the plus phase and compared,
    OUTPUT is compared but never clamped, HIDDEN is neither."""
    INPUT = "INPUT"
    HIDDEN = "HIDDEN"
    TARGET = "TARGET"
    OUTPUT = "OUTPUT"

    @classmethod
    def parse(cls, value: Union[str, "LayerKind"], where: str) -> "LayerKind":
        if isinstance(value, LayerKind):
            return value
        if isinstance(value, str) and value.upper() in cls.__members__:
            return cls[value.upper()]
        names = [m.lower() for m in cls.__members__]
        raise SpecError(f"{where}: kind {value!r} is not one of {', '.join(names)}."
                        + did_you_mean(str(value).lower(), names))


def check_name(name: object, what: str) -> str:
    if not isinstance(name, str) or not _NAME.match(name):
        raise SpecError(f"{what} name {name!r} must be an identifier (letters, digits, _), "
                        "as emergent uses it in paths and column names")
    return name


@dataclass(frozen=True)
class Layer:
    """A layer of units.

    Parameters
    ----------
    name : identifier, unique in the network
    shape : (Y, X) or (GY, GX, UY, UX) positive ints
    kind : LayerKind or its name ("input", "hidden", "target", "output")
    cls : optional class label(s) for ``.Class`` selectors, space separated
    spec_type : the emergent layer spec type, one of :data:`LAYER_SPECS`: ``"LeabraLayerSpec"``
        (default) or ``"ScalarValLayerSpec"`` (one value per unit group, :mod:`.scalar_val`);
        it chooses the layer's parameter record (``scalar.rep`` ... exist on ScalarVal layers only)
    """
    name: str
    shape: tuple[int, ...]
    kind: LayerKind = LayerKind.HIDDEN
    cls: str = ""
    spec_type: str = DEFAULT_LAYER_SPEC

    def __post_init__(self) -> None:
        check_name(self.name, "Layer")
        where = f"Layer '{self.name}'"
        shape = self.shape
        if not isinstance(shape, (tuple, list)) or len(shape) not in (2, 4) or not all(
                isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in shape):
            raise SpecError(f"{where}: shape {shape!r} must be 2 (Y, X) or 4 (GY, GX, UY, UX) positive ints")
        object.__setattr__(self, "shape", tuple(shape))
        object.__setattr__(self, "kind", LayerKind.parse(self.kind, where))
        if not isinstance(self.cls, str):
            raise SpecError(f"{where}: cls must be a string of class labels, got {self.cls!r}")
        if self.spec_type not in LAYER_SPECS:
            raise SpecError(f"{where}: spec_type {self.spec_type!r} is not one of {', '.join(LAYER_SPECS)}."
                            + did_you_mean(str(self.spec_type), LAYER_SPECS))

    @property
    def layer_spec(self) -> type:
        """The parameter record class of the layer's spec type (LayerSpec or a subclass)."""
        return LAYER_SPECS[self.spec_type]

    @property
    def is_scalar_val(self) -> bool:
        return self.spec_type == ScalarValLayerSpec.EMERGENT_TYPE

    @property
    def input_shape(self) -> tuple[int, ...]:
        """The shape of the layer's input column: its shape, or for a ScalarVal layer one value
        per coding group, ``(1, 1)`` or ``(GY, GX, 1, 1)``."""
        if not self.is_scalar_val:
            return self.shape
        return (1, 1) if len(self.shape) == 2 else (self.shape[0], self.shape[1], 1, 1)

    @property
    def n_units(self) -> int:
        return math.prod(self.shape)

    @property
    def n_groups(self) -> int:
        """Number of unit groups (pools): 1 for 2-D layers."""
        return self.shape[0] * self.shape[1] if len(self.shape) == 4 else 1

    @property
    def classes(self) -> tuple[str, ...]:
        return tuple(self.cls.split())


# ------------------------------------------------------------------------------- patterns of connectivity

@dataclass(frozen=True)
class Full:
    """Every sender connects to every receiver (FullPrjnSpec)."""
    EMERGENT_TYPE = "FullPrjnSpec"

    def check(self, send: Layer, recv: Layer, where: str) -> None:
        pass


@dataclass(frozen=True)
class OneToOne:
    """Sender i connects to receiver i (OneToOnePrjnSpec); layers must have equal size."""
    EMERGENT_TYPE = "OneToOnePrjnSpec"

    def check(self, send: Layer, recv: Layer, where: str) -> None:
        if send.n_units != recv.n_units:
            raise SpecError(f"{where}: OneToOne needs layers of equal size, got "
                            f"{send.n_units} ({send.name}) and {recv.n_units} ({recv.name})")


@dataclass(frozen=True)
class UniformRandom:
    """Each receiver connects to a random fraction ``p`` of the senders (UniformRndPrjnSpec).

    ``seed`` fixes the connectivity independently of the weight seed."""
    p: float
    seed: int = 0
    EMERGENT_TYPE = "UniformRndPrjnSpec"

    def __post_init__(self) -> None:
        if isinstance(self.p, bool) or not isinstance(self.p, (int, float)) or not 0 < self.p <= 1:
            raise SpecError(f"UniformRandom: p={self.p!r} must be a fraction in (0, 1]")
        object.__setattr__(self, "p", float(self.p))
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise SpecError(f"UniformRandom: seed={self.seed!r} must be a non-negative int")

    def check(self, send: Layer, recv: Layer, where: str) -> None:
        pass


from .prjns import GpOneToOne, GpTessel, GaussRF, Tessel, TiledGpRF  # noqa: E402  (geometry patterns)

PATTERNS = {"Full": Full, "OneToOne": OneToOne, "UniformRandom": UniformRandom, "Tessel": Tessel,
            "GpOneToOne": GpOneToOne, "GpTessel": GpTessel, "GaussRF": GaussRF, "TiledGpRF": TiledGpRF}
Pattern = Union[Full, OneToOne, UniformRandom, Tessel, GpOneToOne, GpTessel, GaussRF, TiledGpRF]


@dataclass(frozen=True)
class Projection:
    """Connections from layer ``send`` to layer ``recv`` (names), with a pattern and class labels."""
    send: str
    recv: str
    pattern: Pattern = field(default_factory=Full)
    cls: str = ""
    name: str = ""

    def __post_init__(self) -> None:
        if not self.name:
            object.__setattr__(self, "name", f"{self.send}->{self.recv}")
        if not isinstance(self.pattern, tuple(PATTERNS.values())):
            raise SpecError(f"Projection '{self.name}': pattern {self.pattern!r} is not one of "
                            f"{', '.join(PATTERNS)} (use e.g. Full())")
        if not isinstance(self.cls, str):
            raise SpecError(f"Projection '{self.name}': cls must be a string, got {self.cls!r}")

    @property
    def classes(self) -> tuple[str, ...]:
        return tuple(self.cls.split())


class Network:
    """A Leabra network: ordered layers and projections.

    >>> net = Network("RandomAssoc")
    >>> inp = net.layer("Input", (5, 5), kind="input")
    >>> hid = net.layer("Hidden", (7, 7))
    >>> net.connect(inp, hid, Full())
    Projection(send='Input', recv='Hidden', pattern=Full(), cls='', name='Input->Hidden')

    Errors (duplicate names, unknown layers, bad geometry) are raised at the call that causes them.
    """

    def __init__(self, name: str, layers: list[Layer] | None = None,
                 projections: list[Projection] | None = None) -> None:
        self.name = check_name(name, "Network")
        self.layers: dict[str, Layer] = {}
        self.projections: dict[str, Projection] = {}
        for lay in layers or []:
            self.add_layer(lay)
        for prj in projections or []:
            self.add_projection(prj)

    # -- building
    def layer(self, name: str, shape: tuple[int, ...], kind: str | LayerKind = "hidden",
              cls: str = "", spec_type: str = DEFAULT_LAYER_SPEC) -> Layer:
        """Add and return a new layer."""
        return self.add_layer(Layer(name, tuple(shape) if isinstance(shape, list) else shape, kind, cls,
                                    spec_type))

    def add_layer(self, layer: Layer) -> Layer:
        if layer.name in self.layers:
            raise SpecError(f"Network '{self.name}': duplicate layer name '{layer.name}'")
        self.layers[layer.name] = layer
        return layer

    def connect(self, send: Layer | str, recv: Layer | str, pattern: Pattern | None = None,
                cls: str = "", name: str = "") -> Projection:
        """Add and return a projection from ``send`` to ``recv`` (layers or their names)."""
        prj = Projection(_lname(send), _lname(recv), pattern if pattern is not None else Full(), cls, name)
        return self.add_projection(prj)

    def add_projection(self, prj: Projection) -> Projection:
        where = f"Projection '{prj.name}'"
        for role, lname in (("sending", prj.send), ("receiving", prj.recv)):
            if lname not in self.layers:
                raise SpecError(f"{where}: unknown {role} layer '{lname}'."
                                + did_you_mean(lname, self.layers))
        if prj.name in self.projections:
            raise SpecError(f"{where}: duplicate projection name; pass name= to tell them apart")
        prj.pattern.check(self.layers[prj.send], self.layers[prj.recv], where)
        self.projections[prj.name] = prj
        return prj

    # -- queries
    def receiving(self, layer: str) -> list[Projection]:
        return [p for p in self.projections.values() if p.recv == layer]

    def sending(self, layer: str) -> list[Projection]:
        return [p for p in self.projections.values() if p.send == layer]

    def __iter__(self) -> Iterator[Layer]:
        return iter(self.layers.values())

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Network) and self.name == other.name
                and list(self.layers.values()) == list(other.layers.values())
                and list(self.projections.values()) == list(other.projections.values()))

    def __repr__(self) -> str:
        return f"Network({self.name!r}, {len(self.layers)} layers, {len(self.projections)} projections)"

    # -- plain data
    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "layers": [{"name": l.name, "shape": list(l.shape), "kind": l.kind.value, "cls": l.cls}
                       # (spec_type only where it is not the default: older models' JSON text stays)
                       | ({"spec_type": l.spec_type} if l.spec_type != DEFAULT_LAYER_SPEC else {})
                       for l in self.layers.values()],
            "projections": [{"name": p.name, "send": p.send, "recv": p.recv, "cls": p.cls,
                             "pattern": {"type": type(p.pattern).__name__, **dataclasses.asdict(p.pattern)}}
                            for p in self.projections.values()],
        }

    @classmethod
    def from_dict(cls, data: dict) -> "Network":
        try:
            net = cls(data["name"])
            for l in data["layers"]:
                net.add_layer(Layer(l["name"], tuple(l["shape"]), l["kind"], l.get("cls", ""),
                                    l.get("spec_type", DEFAULT_LAYER_SPEC)))
            for p in data["projections"]:
                pat = dict(p["pattern"])
                kind = pat.pop("type")
                if kind not in PATTERNS:
                    raise SpecError(f"Projection '{p['name']}': unknown pattern type '{kind}'."
                                    + did_you_mean(kind, PATTERNS))
                net.add_projection(Projection(p["send"], p["recv"], PATTERNS[kind](**pat),
                                              p.get("cls", ""), p["name"]))
        except (KeyError, TypeError) as e:
            raise SpecError(f"network description is missing or has a malformed field: {e}") from e
        return net


def _lname(x: Layer | str) -> str:
    return x.name if isinstance(x, Layer) else x
