"""emergent's own unit-test network, demo/leabra/basic_leabra_test.proj (emergent 8.5.6/8.6.1).

Input(4) -> Hidden(4) <-> Output(4, target), all projections one-to-one, every weight 0.5, four
one-hot patterns Trial0..Trial3 in sequential order. Every value below is the project's (see
shared/spec/leabra-refdata.md 1.1); the ones that differ from the 8.6 code defaults are set
explicitly. Real emergent 8.6.1 traces of this network: shared/reference/emergent/runs/basic/.
"""
import numpy as np

from emergent_py import Network, OneToOne, Patterns, RunPlan, Sheet


def build():
    net = Network("BasicLeabraTest")
    inp = net.layer("Input", (1, 4), kind="input")
    hid = net.layer("Hidden", (1, 4))
    out = net.layer("Output", (1, 4), kind="target")
    # emergent's order: Hidden receives Fm_Input then Fm_Output; Output receives Fm_Hidden
    net.connect(inp, hid, OneToOne())
    net.connect(out, hid, OneToOne(), cls="TopDownCons")
    net.connect(hid, out, OneToOne())
    params = Sheet({
        "Layer": {
            "act_avg.ss_tau": 2.0,          # project value (8.6 code default 4)
            "g_bar.l": 0.2,
            "e_rev.k": 0.1,
            "avg_act.targ_init": 0.2,       # project value (code default 0.15)
            "bias.wt_scale.abs": 0.0,
            "bias.wt_scale.rel": 0.0,
        },
        "Prjn": {
            "rnd.mean": 0.5,
            "rnd.var": 0.0,                 # every weight exactly 0.5
            "wt_limits.sym": False,
            "rule.rule": "XCAL_CHL",
            "dwt_norm.lr_comp": 0.15,
            "wt_bal.on": False,
        },
        ".TopDownCons": {"wt_scale.rel": 0.2, "feedback": True},
    })
    eye = np.eye(4, dtype=np.float32).reshape(4, 1, 4)
    pats = Patterns({"Input": eye, "Output": eye}, names=[f"Trial{i}" for i in range(4)])
    plan = RunPlan(epochs=5, stop_cnt_err=0, stop_n_under=2, order="sequential", wt_update="on_line")
    return net, params, pats, plan
