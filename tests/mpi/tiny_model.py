"""A tiny model for the MPI tests: 5 patterns (odd, so 2 ranks wrap around), 3 layers, top-down
projection, small_batch of 4 trials (2 per rank with 2 ranks), permuted order."""
from emergent_py import Full, Network, Patterns, RunPlan, Sheet


def build():
    net = Network("TinyDmem")
    net.layer("Input", (3, 3), kind="input")
    net.layer("Hidden", (4, 4))
    net.layer("Output", (3, 3), kind="target")
    net.connect("Input", "Hidden", Full())
    net.connect("Hidden", "Output", Full())
    net.connect("Output", "Hidden", Full(), cls="TopDown")
    params = Sheet({"Layer": {"lay_inhib.gi": 1.8}, "#Output": {"lay_inhib.gi": 1.4},
                    ".TopDown": {"wt_scale.rel": 0.2}})
    pats = Patterns.random(n=5, layers={"Input": (3, 3), "Output": (3, 3)}, pct_on=0.3, seed=3)
    return net, params, pats, RunPlan(epochs=3, stop_cnt_err=None, order="permuted",
                                      wt_update="small_batch", small_batch_n=4, seed=11)
