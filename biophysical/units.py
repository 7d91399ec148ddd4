"""emergent's normalized units <-> physical units (a port of ``LeabraUnitSpec::BioParams``).

emergent 8.x picks three base units -- 1 ms, 100 mV (with a -100 mV offset) and 10 nA -- and
derives the rest: conductance 10 nA / 100 mV = 100 nS, capacitance 1 ms * 10 nA / 100 mV = 100 pF
(biophysical.md a.1). Hence::

    V_norm = (V_mV + 100) / 100      dV_norm = dV_mV / 100 (slopes: no offset)
    g_norm = g_nS / 100              C_norm = C_pF / 100  (this is ``dt.vm_tau``)
    I_norm = I_nA / 10               t_cycles = t_ms

``dt.vm_tau`` is a capacitance, not the membrane time constant: tau_m = vm_tau / g_bar.l
(2.81 / 0.1 = 28.1 ms for the spiking defaults).

Unit-spec conversion works on :class:`emergent_py.spec.params.UnitSpec` records and on plain dicts
of emergent member paths (``{"dt.vm_tau": 2.81, "g_bar.l": 0.1}``). Only members with a physical
meaning are converted; :data:`UNIT_SPEC_QUANTITIES` lists them.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Mapping

from emergent_py.errors import SpecError, did_you_mean
from emergent_py.spec.fields import find_leaf, get_path, with_path
from emergent_py.spec.params import UnitSpec


@dataclasses.dataclass(frozen=True)
class Quantity:
    """One physical quantity: ``bio = norm * scale + offset`` (bio in ``bio_unit``)."""
    name: str
    bio_unit: str
    scale: float
    offset: float = 0.0

    def to_norm(self, bio: Any) -> Any:
        return (bio - self.offset) / self.scale

    def to_bio(self, norm: Any) -> Any:
        return norm * self.scale + self.offset


@dataclasses.dataclass(frozen=True, kw_only=True)
class NormBase:
    """The base units of the normalized system (``BioParams`` arguments norm_sec, norm_volt,
    volt_off, norm_amp; SI units). Defaults are emergent's."""
    sec: float = dataclasses.field(default=1e-3, metadata={"unit": "s", "doc": "one time unit (a cycle)"})
    volt: float = dataclasses.field(default=0.1, metadata={"unit": "V", "doc": "one voltage unit"})
    volt_off: float = dataclasses.field(default=-0.1, metadata={"unit": "V", "doc": "potential of V_norm = 0"})
    amp: float = dataclasses.field(default=1e-8, metadata={"unit": "A", "doc": "one current unit"})
    act_max_hz: float = dataclasses.field(default=180.0, metadata={"unit": "Hz", "doc": "rate of act = 1"})

    @property
    def siemens(self) -> float:
        """One conductance unit in S (norm_amp / norm_volt = 1e-7 S = 100 nS)."""
        return self.amp / self.volt

    @property
    def farad(self) -> float:
        """One capacitance unit in F (norm_sec * norm_amp / norm_volt = 1e-10 F = 100 pF)."""
        return self.sec * self.amp / self.volt

    def quantities(self) -> dict[str, Quantity]:
        """The quantities of this base, in the physical units used throughout ``biophysical``."""
        return {name: Quantity(q.name, q.bio_unit, _clean(q.scale), _clean(q.offset))
                for name, q in self._raw_quantities().items()}

    def _raw_quantities(self) -> dict[str, Quantity]:
        return {
            "time": Quantity("time", "ms", self.sec / 1e-3),
            "voltage": Quantity("voltage", "mV", self.volt / 1e-3, self.volt_off / 1e-3),
            "voltage difference": Quantity("voltage difference", "mV", self.volt / 1e-3),
            "conductance": Quantity("conductance", "nS", self.siemens / 1e-9),
            "capacitance": Quantity("capacitance", "pF", self.farad / 1e-12),
            "current": Quantity("current", "nA", self.amp / 1e-9),
            "rate": Quantity("rate", "Hz", self.act_max_hz),
        }


def _clean(x: float) -> float:
    """Drop the binary noise of SI prefix arithmetic (1e-8 / 0.1 / 1e-9 = 99.99999999999999)."""
    return float(f"{x:.12g}")


EMERGENT = NormBase()
"""emergent 8.x's base units: 1 ms, 100 mV offset -100 mV, 10 nA (-> 100 nS, 100 pF)."""

#: Unit-spec members with a physical meaning -> quantity. The last block are members of the
#: SPIKE unit spec and of <= 8.2's ``adapt`` that the native core's UnitSpec does not model;
#: they convert in plain dicts only.
UNIT_SPEC_QUANTITIES: dict[str, str] = {
    "act.thr": "voltage",
    "init.v_m": "voltage",
    "spike_misc.vm_r": "voltage",
    "vm_range.min": "voltage",
    "vm_range.max": "voltage",
    "e_rev.e": "voltage", "e_rev.l": "voltage", "e_rev.i": "voltage", "e_rev.k": "voltage",
    "g_bar.e": "conductance", "g_bar.l": "conductance", "g_bar.i": "conductance",
    "g_bar.k": "conductance",
    "dt.vm_tau": "capacitance",
    "dt.net_tau": "time",
    "spike_misc.t_r": "time",
    # dict-only members (SPIKE mode, legacy adapt)
    "spike_misc.spk_thr": "voltage",
    "spike_misc.exp_slope": "voltage difference",
    "adapt.tau": "time",
    "adapt.vm_gain": "conductance",
    "adapt.spike_gain": "current",
}


def quantity_of(path: str, base: NormBase = EMERGENT) -> Quantity:
    """The physical quantity of unit-spec member ``path``; SpecError if it has none."""
    try:
        return base.quantities()[UNIT_SPEC_QUANTITIES[path]]
    except KeyError:
        raise SpecError(f"unit-spec member '{path}' has no physical unit; convertible members are "
                        f"{', '.join(UNIT_SPEC_QUANTITIES)}.{did_you_mean(path, UNIT_SPEC_QUANTITIES)}"
                        ) from None


def members(spec: UnitSpec) -> dict[str, float]:
    """The normalized values of every member of ``spec`` that has a physical unit."""
    return {p: float(get_path(spec, p)) for p in UNIT_SPEC_QUANTITIES if find_leaf(UnitSpec, p)}


def to_bio(params: UnitSpec | Mapping[str, float], base: NormBase = EMERGENT) -> dict[str, float]:
    """Physical values of a unit spec's members.

    Parameters
    ----------
    params : a UnitSpec record (every member of :data:`UNIT_SPEC_QUANTITIES` it has is converted)
        or a dict ``{member path: normalized value}`` (each path must be convertible)
    base : the normalized base units (emergent's by default)

    Returns
    -------
    dict ``{member path: value}`` in the units of :func:`quantity_of` (mV, nS, pF, ms, nA).
    """
    items = members(params) if isinstance(params, UnitSpec) else dict(params)
    return {p: float(quantity_of(p, base).to_bio(v)) for p, v in items.items()}


def to_norm(bio: Mapping[str, float], base: NormBase = EMERGENT) -> dict[str, float]:
    """Inverse of :func:`to_bio`: ``{member path: physical value}`` -> normalized values."""
    return {p: float(quantity_of(p, base).to_norm(v)) for p, v in bio.items()}


def unit_spec_from_bio(bio: Mapping[str, float], spec: UnitSpec | None = None,
                       base: NormBase = EMERGENT) -> UnitSpec:
    """A UnitSpec (``spec`` or the defaults) with the physical values ``bio`` set, normalized.

    Raises SpecError for a member the UnitSpec record does not have (e.g. SPIKE-mode
    ``spike_misc.exp_slope``) and for values outside a member's range.
    """
    spec = spec if spec is not None else UnitSpec()
    for path, value in to_norm(bio, base).items():
        if find_leaf(UnitSpec, path) is None:
            raise SpecError(f"UnitSpec has no member '{path}' (it belongs to emergent's SPIKE or "
                            f"legacy adapt spec); convert it with to_norm() as a plain dict")
        value = round(value, 12)          # 2.81 pF/100 must not turn into 2.8100000000000001
        if isinstance(get_path(spec, path), int):
            if not float(value).is_integer():
                raise SpecError(f"unit-spec member '{path}': {bio[path]} {quantity_of(path, base).bio_unit}"
                                f" is not a whole number of cycles")
            value = int(value)
        spec = with_path(spec, path, value)
    return spec


def bio_params(*, C_pF: float = 281.0, gbar_l_nS: float = 10.0, gbar_e_nS: float = 100.0,
               gbar_i_nS: float = 100.0, erev_l_mV: float = -70.0, erev_e_mV: float = 0.0,
               erev_i_mV: float = -75.0, act_thr_mV: float = -50.0, spk_thr_mV: float = 20.0,
               exp_slope_mV: float = 2.0, spiking: bool = True,
               base: NormBase = EMERGENT) -> dict[str, float]:
    """The normalized members that ``LeabraUnitSpec::BioParams`` sets (LeabraUnitSpec.cpp 238-275).

    Same defaults as emergent's; ``vm_r = e_rev.l``, ``init.v_m = 0.4``, ``vm_range = [0, 2]``,
    and for a rate-code unit (``spiking=False``) ``dt.vm_tau = 3.3`` as BioParams does.
    (The ``act.gain = 100`` that BioParams also sets for rate code is not a unit conversion.)
    """
    q = base.quantities()
    v, g = q["voltage"], q["conductance"]
    out = {
        "dt.vm_tau": q["capacitance"].to_norm(C_pF) if spiking else 3.3,
        "g_bar.l": g.to_norm(gbar_l_nS), "g_bar.e": g.to_norm(gbar_e_nS), "g_bar.i": g.to_norm(gbar_i_nS),
        "e_rev.l": v.to_norm(erev_l_mV), "e_rev.e": v.to_norm(erev_e_mV), "e_rev.i": v.to_norm(erev_i_mV),
        "act.thr": v.to_norm(act_thr_mV), "spike_misc.spk_thr": v.to_norm(spk_thr_mV),
        "spike_misc.exp_slope": q["voltage difference"].to_norm(exp_slope_mV),
        "spike_misc.vm_r": v.to_norm(erev_l_mV), "init.v_m": 0.4, "vm_range.min": 0.0, "vm_range.max": 2.0,
    }
    return {k: round(float(x), 12) for k, x in out.items()}


def quantity_table(base: NormBase = EMERGENT) -> list[tuple[str, str, str, str]]:
    """Rows ``(quantity, one normalized unit, bio -> norm formula, example)`` of the mapping."""
    q = base.quantities()

    def unit(name):
        x = q[name]
        return f"{x.scale:g} {x.bio_unit}" + (f" (offset {x.offset:g} {x.bio_unit})" if x.offset else "")

    def formula(name, sym):
        x = q[name]
        off = f" - ({x.offset:g})" if x.offset else ""
        return f"({sym}{off}) / {x.scale:g}" if off else f"{sym} / {x.scale:g}"

    return [
        ("time", unit("time"), formula("time", "t_ms"), "1 cycle = 1 ms"),
        ("membrane potential", unit("voltage"), formula("voltage", "V_mV"),
         f"E_L -70 mV -> {q['voltage'].to_norm(-70):.3g}"),
        ("potential difference", unit("voltage difference"), formula("voltage difference", "dV_mV"),
         f"Delta_T 2 mV -> {q['voltage difference'].to_norm(2):.3g}"),
        ("conductance", unit("conductance"), formula("conductance", "g_nS"),
         f"g_L 10 nS -> {q['conductance'].to_norm(10):.3g}"),
        ("capacitance", unit("capacitance"), formula("capacitance", "C_pF"),
         f"C 281 pF -> dt.vm_tau {q['capacitance'].to_norm(281):.3g}"),
        ("current", unit("current"), formula("current", "I_nA"),
         f"b 0.0805 nA -> {q['current'].to_norm(0.0805):.3g}"),
        ("firing rate", unit("rate"), formula("rate", "f_Hz"), f"90 Hz -> act {q['rate'].to_norm(90):.3g}"),
    ]
