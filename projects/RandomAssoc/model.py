"""A random associator like emergent's LeabraStd template: 25 random 5x5 input -> output pairs."""
from emergent_py import Full, Network, Patterns, RunPlan, Sheet


def build():
    net = Network("RandomAssoc")
    inp = net.layer("Input", (5, 5), kind="input")
    hid = net.layer("Hidden", (7, 7))
    out = net.layer("Output", (5, 5), kind="target")
    net.connect(inp, hid, Full())
    net.connect(hid, out, Full())
    net.connect(out, hid, Full(), cls="TopDown")
    params = Sheet({
        "Layer":    {"lay_inhib.gi": 1.8},
        "#Output":  {"lay_inhib.gi": 1.4},
        ".TopDown": {"wt_scale.rel": 0.2},
    })
    pats = Patterns.random(n=25, layers={"Input": (5, 5), "Output": (5, 5)}, pct_on=0.2, seed=1)
    return net, params, pats, RunPlan(epochs=50, stop_cnt_err=0, order="permuted", seed=42)
