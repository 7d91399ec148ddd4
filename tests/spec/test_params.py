"""Parameter records: emergent 8.6 names, code defaults (leabra.md section 12), derived values."""
import dataclasses

import pytest

from emergent_py.errors import SpecError
from emergent_py.spec.fields import from_dict, get_path, leaf_fields, to_dict, with_path
from emergent_py.spec.params import BiasSpec, ConSpec, LayerSpec, NetworkSpec, UnitSpec

# (record, path, section-12 default)
DEFAULTS = [
    (UnitSpec, "act.thr", 0.5), (UnitSpec, "act.gain", 100.0), (UnitSpec, "act.nvar", 0.005),
    (UnitSpec, "act.vm_act_thr", 0.01), (UnitSpec, "act.sig_mult", 0.33), (UnitSpec, "act.sig_gain", 3.0),
    (UnitSpec, "act_misc.avg_tau", 200.0), (UnitSpec, "act_misc.avg_init", 0.15),
    (UnitSpec, "act_misc.lambda", 0.0), (UnitSpec, "opt_thresh.send", 0.1), (UnitSpec, "opt_thresh.delta", 0.005),
    (UnitSpec, "clamp_range.max", 0.95), (UnitSpec, "vm_range.max", 2.0), (UnitSpec, "init.v_m", 0.4),
    (UnitSpec, "dt.vm_tau", 3.3), (UnitSpec, "dt.net_tau", 1.4), (UnitSpec, "act_avg.ss_tau", 4.0),
    (UnitSpec, "act_avg.s_tau", 2.0), (UnitSpec, "act_avg.m_tau", 10.0), (UnitSpec, "avg_l.gain", 2.5),
    (UnitSpec, "avg_l.lrn_min", 0.0001), (UnitSpec, "g_bar.l", 0.2), (UnitSpec, "e_rev.l", 0.3),
    (UnitSpec, "e_rev.i", 0.25), (UnitSpec, "spike_misc.vm_r", 0.3), (UnitSpec, "sse_tol", 0.5),
    (UnitSpec, "avg_l_mod.mod", "LAY_ERR_MOD"), (UnitSpec, "kna_adapt.on", False),
    (LayerSpec, "lay_inhib.gi", 1.8), (LayerSpec, "lay_inhib.fb_tau", 1.4), (LayerSpec, "lay_inhib.ff0", 0.1),
    (LayerSpec, "unit_gp_inhib.on", False), (LayerSpec, "avg_act.targ_init", 0.15),
    (LayerSpec, "clamp.hard", True), (LayerSpec, "clamp.gain", 0.2), (LayerSpec, "decay.trial", 1.0),
    (LayerSpec, "cos_diff.avg_tau", 100.0),
    (ConSpec, "lrate", 0.04), (ConSpec, "learn_qtr", "Q4"), (ConSpec, "wt_scale.rel", 1.0),
    (ConSpec, "rnd.mean", 0.5), (ConSpec, "rnd.var", 0.25), (ConSpec, "wt_limits.sym", True),
    (ConSpec, "rule.rule", "XCAL_CHL"), (ConSpec, "xcal.d_rev", 0.1), (ConSpec, "xcal.d_thr", 0.0001),
    (ConSpec, "wt_sig.gain", 6.0), (ConSpec, "dwt_norm.on", True), (ConSpec, "dwt_norm.lr_comp", 0.15),
    (ConSpec, "momentum.m_tau", 10.0), (ConSpec, "wt_bal.on", True), (ConSpec, "wt_bal.lo_gain", 6.0),
    (BiasSpec, "learn", False), (BiasSpec, "rnd.mean", 0.0), (BiasSpec, "dwt_thresh", 0.1),
    (NetworkSpec, "times.quarter", 25), (NetworkSpec, "times.wt_bal_int", 10),
    (NetworkSpec, "stats.cnt_err_tol", 0.0), (NetworkSpec, "lstats.on_errs", True),
]


@pytest.mark.parametrize("cls,path,value", DEFAULTS)
def test_section_12_defaults(cls, path, value):
    assert get_path(cls(), path) == value


def test_derived_values_match_emergent_project_dump():
    # the values emergent writes into LeabraStd.proj: sig_mult_eff=0.1895352, interp_val=0.3843991,
    # lrn_fact=0.2173478, d_rev_ratio=-9, vm_dt=0.3030303, net_dt=0.7142857, fb_dt=0.7142857
    u, c, l = UnitSpec(), ConSpec(), LayerSpec()
    assert u.act.sig_gain_nvar == pytest.approx(600)
    assert u.act.sig_mult_eff == pytest.approx(0.1895352, abs=1e-7)
    assert u.act.sig_val_at_0 == pytest.approx(0.09476762, abs=1e-8)
    assert u.act.interp_val == pytest.approx(0.3843991, abs=1e-7)
    assert u.avg_l.lrn_fact == pytest.approx(0.2173478, abs=1e-7)
    assert u.dt.vm_dt == pytest.approx(0.3030303, abs=1e-7)
    assert u.dt.net_dt == pytest.approx(0.7142857, abs=1e-7)
    assert l.lay_inhib.fb_dt == pytest.approx(0.7142857, abs=1e-7)
    assert c.xcal.d_rev_ratio == pytest.approx(-9)
    assert u.clamp_range.scale == pytest.approx(1.052632, abs=1e-6)


def test_derived_values_follow_replace():
    u = with_path(UnitSpec(), "dt.vm_tau", 2.81)
    assert u.dt.vm_dt == pytest.approx(1 / 2.81)
    assert UnitSpec().dt.vm_dt == pytest.approx(1 / 3.3)        # original untouched (frozen)


def test_records_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        UnitSpec().act.gain = 3


def test_derived_not_settable_nor_serialized():
    with pytest.raises(TypeError):
        UnitSpec().dt.__class__(vm_dt=0.5)
    assert "vm_dt" not in to_dict(UnitSpec())["dt"]
    assert "lambda" in to_dict(UnitSpec())["act_misc"]          # emergent's name, not lambda_


@pytest.mark.parametrize("cls", [UnitSpec, LayerSpec, ConSpec, BiasSpec, NetworkSpec])
def test_dict_round_trip(cls):
    rec = cls()
    for path, f in leaf_fields(cls):
        value = get_path(rec, path)
        if isinstance(value, float):
            rec = with_path(rec, path, value + 0.5 if f.metadata["max"] is None else value)
    assert from_dict(cls, to_dict(rec)) == rec


@pytest.mark.parametrize("path,value,msg", [
    ("act.gain", "high", "expected a number"),
    ("act.gain", -1, "below its minimum 0"),
    ("clamp_range.max", float("nan"), "finite"),
    ("dt.vm_cyc", 1.5, "whole number"),
    ("act_fun", "NOISY_XXX1", "Did you mean 'NOISY_XX1'"),
    ("kna_adapt.on", "yes", "true/false"),
])
def test_bad_values_are_named(path, value, msg):
    with pytest.raises(SpecError, match=msg) as e:
        with_path(UnitSpec(), path, value)
    assert path.split(".")[-1] in str(e.value)


def test_from_dict_unknown_member_suggests():
    with pytest.raises(SpecError, match=r"unknown member 'gian'.*Did you mean 'gain'"):
        from_dict(UnitSpec, {"act": {"gian": 1}})
