"""What a run records: ``LEVEL[:VARS]`` (CLI ``--record``), parsed in one place.

``LEVEL`` is the finest level of rows a run keeps: ``epoch``, ``trial`` or ``cycle``. ``VARS``
chooses variables recorded in each row of that level, comma separated: ``act`` (that variable
of every layer) or ``Hidden.v_m`` (one layer's); at the trial level a bare layer name
(``trial:Hidden``) records its ``act_m`` and ``act_p``. Unit variables give one
``<Layer>_<var>`` matrix column in the layer's geometry (``(Y, X)``, as emergent logs them),
layer variables (``acts_avg``, ``g_i``, ...) a scalar one. Trial rows always hold the trial
statistics, VARS add to them; without VARS a cycle row holds :data:`CYCLE_VARS`.

>>> parse_record("cycle:act,v_m,avg_ss")
Record(level='cycle', vars=('act', 'v_m', 'avg_ss'))
>>> parse_record("trial:Hidden.act_m,Output")
Record(level='trial', vars=('Hidden.act_m', 'Output'))
>>> parse_record("trial")
Record(level='trial', vars=())
"""
from __future__ import annotations

from dataclasses import dataclass

from ..errors import SpecError, did_you_mean
from .layer import LAYER_VARS, UNIT_VARS

RECORD_LEVELS = ("epoch", "trial", "cycle")
#: unit variables recorded per cycle with ``record="cycle"`` (one ``<Layer>_<var>`` column each)
CYCLE_VARS = ("act", "net", "v_m_eq", "gc_i")
#: the levels at which VARS can be chosen (epoch rows hold the epoch statistics only)
VAR_LEVELS = ("trial", "cycle")
#: what a bare layer name records at the trial level
TRIAL_LAYER_VARS = ("act_m", "act_p")


@dataclass(frozen=True)
class Record:
    """A parsed ``LEVEL[:VARS]``: ``vars`` are ``"var"`` (every layer) or ``"Layer.var"``."""
    level: str
    vars: tuple[str, ...] = ()

    def columns(self, layers, level: str = "cycle") -> list[tuple[str, object, str]]:
        """``(column, layer, var)`` of each variable recorded in the rows of ``level``
        (``"cycle"`` or ``"trial"``), for the network's ``layers`` (name -> layer view): the
        chosen VARS where this record chose them for that level; else :data:`CYCLE_VARS` for
        cycle rows (an observer may ask for cycle rows at any level) and none for trial rows."""
        if self.level == level and self.vars:
            items = self.vars
        else:
            items = CYCLE_VARS if level == "cycle" else ()
        out: list[tuple[str, object, str]] = []
        for item in items:
            lname, _, var = item.rpartition(".")
            if not lname and var not in UNIT_VARS + LAYER_VARS:      # trial:Hidden (parse_record)
                if var not in layers:
                    raise SpecError(f"--record {self}: '{var}' is neither a layer nor a unit or layer "
                                    f"variable (layers: {', '.join(layers)})."
                                    + did_you_mean(var, list(layers) + list(UNIT_VARS + LAYER_VARS)))
                lname, names = var, TRIAL_LAYER_VARS
            else:
                names = (var,)
            if lname and lname not in layers:
                raise SpecError(f"--record {self}: no layer '{lname}' (layers: {', '.join(layers)})."
                                + did_you_mean(lname, layers))
            for name, lay in layers.items():
                for v in names:
                    col = (f"{name}_{v}", lay, v)
                    if (not lname or name == lname) and col not in out:
                        out.append(col)
        return out

    def __str__(self) -> str:
        return self.level + (":" + ",".join(self.vars) if self.vars else "")


def parse_record(text: str | Record) -> Record:
    """``"cycle:act,Hidden.v_m"`` -> :class:`Record`; a SpecError names what is wrong."""
    if isinstance(text, Record):
        return text
    level, sep, rest = str(text).partition(":")
    level = level.strip()
    if level not in RECORD_LEVELS:
        raise SpecError(f"--record {text}: level '{level}' is not one of {', '.join(RECORD_LEVELS)} "
                        "(syntax LEVEL[:VARS], e.g. cycle:act,v_m,avg_ss)")
    if not sep:
        return Record(level)
    items = [v.strip() for v in rest.split(",")]
    if not any(items) or not all(items):
        raise SpecError(f"--record {text}: an empty variable name; list them after ':' separated "
                        "by commas, e.g. cycle:act,v_m,avg_ss")
    if level not in VAR_LEVELS:
        raise SpecError(f"--record {text}: variables can be chosen for the "
                        f"{' and '.join(VAR_LEVELS)} level only ({level} rows hold the {level} statistics)")
    known = UNIT_VARS + LAYER_VARS
    for item in items:
        lname, _, var = item.rpartition(".")
        if level == "trial" and not lname and var not in known:
            continue                   # a layer name: its TRIAL_LAYER_VARS (checked by columns())
        if var not in known:
            raise SpecError(f"--record {text}: '{var}' is not a unit or layer variable."
                            + (did_you_mean(var, known) or f" Unit variables: {', '.join(UNIT_VARS)}"))
    return Record(level, tuple(dict.fromkeys(items)))
