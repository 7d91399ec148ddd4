"""biophysical.units: emergent's BioParams mapping (biophysical.md a.1-a.2) and round trips."""
import dataclasses
import math

import numpy as np
import pytest

from emergent_py.biophysical import units
from emergent_py.biophysical.adex import BRETTE_GERSTNER_2005, NAUD_2008, AdExParams
from emergent_py.errors import SpecError
from emergent_py.spec.fields import get_path
from emergent_py.spec.params import UnitSpec


def test_base_units_derive_100_nS_and_100_pF():
    b = units.EMERGENT
    assert b.siemens == pytest.approx(1e-7, rel=1e-12)
    assert b.farad == pytest.approx(1e-10, rel=1e-12)
    q = b.quantities()
    assert (q["conductance"].scale, q["capacitance"].scale, q["current"].scale) == (100.0, 100.0, 10.0)
    assert (q["voltage"].scale, q["voltage"].offset, q["voltage difference"].offset) == (100.0, -100.0, 0.0)
    assert q["time"].scale == 1.0 and q["rate"].scale == 180.0


def test_bio_params_defaults_match_emergent():
    """LeabraUnitSpec::BioParams with its own defaults (biophysical.md a.1, a.3)."""
    assert units.bio_params() == {
        "dt.vm_tau": 2.81, "g_bar.l": 0.1, "g_bar.e": 1.0, "g_bar.i": 1.0,
        "e_rev.l": 0.3, "e_rev.e": 1.0, "e_rev.i": 0.25, "act.thr": 0.5,
        "spike_misc.spk_thr": 1.2, "spike_misc.exp_slope": 0.02, "spike_misc.vm_r": 0.3,
        "init.v_m": 0.4, "vm_range.min": 0.0, "vm_range.max": 2.0}
    assert units.bio_params(spiking=False)["dt.vm_tau"] == 3.3
    assert units.bio_params(erev_l_mV=-65.0)["spike_misc.vm_r"] == 0.35     # vm_r follows e_rev.l


def test_vm_tau_is_a_capacitance_both_ways():
    assert units.to_norm({"dt.vm_tau": 281.0}) == {"dt.vm_tau": 2.81}
    assert units.to_bio({"dt.vm_tau": 2.81}) == {"dt.vm_tau": 281.0}
    assert units.unit_spec_from_bio({"dt.vm_tau": 281.0}).dt.vm_tau == 2.81
    # the membrane time constant is vm_tau / g_bar.l: 28.1 ms for the spiking defaults
    spec = units.unit_spec_from_bio({"dt.vm_tau": 281.0, "g_bar.l": 10.0})
    assert spec.dt.vm_tau / spec.g_bar.l == pytest.approx(28.1)


def test_unit_spec_defaults_in_physical_units():
    bio = units.to_bio(UnitSpec())
    assert bio["e_rev.l"] == -70.0 and bio["e_rev.i"] == -75.0 and bio["e_rev.e"] == 0.0
    assert bio["act.thr"] == -50.0 and bio["init.v_m"] == -60.0
    assert bio["g_bar.l"] == 20.0 and bio["g_bar.e"] == 100.0
    assert bio["dt.vm_tau"] == 330.0 and bio["spike_misc.t_r"] == 3.0
    assert (bio["vm_range.min"], bio["vm_range.max"]) == (-100.0, 100.0)


def test_unit_spec_round_trip_is_exact():
    spec = units.unit_spec_from_bio({"g_bar.l": 10.0, "dt.vm_tau": 281.0, "e_rev.k": -90.0,
                                     "act.thr": -48.0, "spike_misc.t_r": 2.0})
    assert (spec.g_bar.l, spec.dt.vm_tau, spec.e_rev.k, spec.act.thr, spec.spike_misc.t_r) == \
        (0.1, 2.81, 0.1, 0.52, 2)
    back = units.unit_spec_from_bio(units.to_bio(spec))
    assert back == spec
    for path, value in units.members(spec).items():
        assert get_path(back, path) == value


def test_dict_round_trip_over_random_values():
    rng = np.random.default_rng(7)
    norm = {p: float(rng.uniform(0.05, 2.0)) for p in units.UNIT_SPEC_QUANTITIES}
    back = units.to_norm(units.to_bio(norm))
    for p in norm:
        assert back[p] == pytest.approx(norm[p], rel=1e-12, abs=1e-14)


def test_bad_members_are_named_with_a_suggestion():
    with pytest.raises(SpecError, match=r"'g_bar\.x' has no physical unit.*Did you mean 'g_bar\.l'"):
        units.to_norm({"g_bar.x": 10.0})
    with pytest.raises(SpecError, match=r"UnitSpec has no member 'spike_misc\.exp_slope'"):
        units.unit_spec_from_bio({"spike_misc.exp_slope": 2.0})
    with pytest.raises(SpecError, match=r"spike_misc\.t_r.*2\.5 ms is not a whole number"):
        units.unit_spec_from_bio({"spike_misc.t_r": 2.5})


def test_adex_parameters_in_emergent_units():
    """Brette-Gerstner in normalized units: a 4 nS -> .04, b 80.5 pA -> .00805, C 281 pF -> 2.81."""
    n = BRETTE_GERSTNER_2005.to_normalized()
    assert n["a"] == 0.04 and n["b"] == 0.00805 and n["C"] == 2.81 and n["g_L"] == 0.3
    assert n["E_L"] == pytest.approx(0.294) and n["delta_T"] == 0.02 and n["tau_w"] == 144.0
    for case in [BRETTE_GERSTNER_2005, *(c.params for c in NAUD_2008.values())]:
        assert AdExParams.from_normalized(case.to_normalized()) == case
    with pytest.raises(SpecError, match="unknown field 'g_l'. Did you mean 'g_L'"):
        AdExParams.from_normalized({"g_l": 0.3})


def test_tau_m_of_the_documented_cells():
    assert BRETTE_GERSTNER_2005.tau_m == pytest.approx(9.3667, abs=1e-4)
    rate_defaults = units.to_bio(UnitSpec())
    assert rate_defaults["dt.vm_tau"] / rate_defaults["g_bar.l"] == pytest.approx(16.5)   # ms
    assert math.isclose(units.EMERGENT.quantities()["rate"].to_norm(90.0), 0.5)
    assert dataclasses.replace(units.EMERGENT, amp=1e-9).quantities()["current"].scale == 1.0
