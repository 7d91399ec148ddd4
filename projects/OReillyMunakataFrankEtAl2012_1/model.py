"""Pattern associator with an easy, a hard and an impossible task (CCN textbook, ch. 4).

After O'Reilly, Munakata, Frank, Hazy & contributors (2012), *Computational Cognitive
Neuroscience*, the ``pat_assoc`` and ``err_driven_hidden`` simulations. Four input units
(1 x 4), two output units (1 x 2, "left" and "right"), four events per task; the three tasks are
those of emergent's ``err_driven_hidden.proj`` (EasyEnv, HardEnv, ImpossibleEnv):

* easy -- each input unit alone maps to one output: units 0,1 -> left, 2,3 -> right;
* hard -- overlapping inputs, but still linearly separable;
* impossible -- every input unit is on equally often for left and right (left = units {0,2} or
  {1,3}, right = {0,1} or {2,3}): no weighted sum of the inputs separates them, so a network
  without a hidden layer cannot learn it, while error-driven learning through a hidden layer can.

``build(task, hidden)`` builds either network: ``hidden=False`` is pat_assoc (Input -> Output),
``hidden=True`` is err_driven_hidden (Input -> Hidden <-> Output, the back projection scaled
by 0.3). Parameters are those err_driven_hidden.proj stores (gi 1.3, expected activity 0.5,
no weight balance), with emergent 8.6's default XCAL learning (see the Prjn entry's doc). This project's ``build()`` is the two-layer network on the easy task; the sibling
project OReillyMunakataFrankEtAl2012_2 is the hidden-layer network on the impossible task.
"""
from __future__ import annotations

import numpy as np

from emergent_py import Full, Network, Patterns, RunPlan, Sel, Sheet, SpecError
from emergent_py.errors import did_you_mean

# Event rows as stored in err_driven_hidden.proj (float_Data "Input" [4 1 4], "Output" [2 1 4]).
TASKS: dict[str, list[list[int]]] = {
    "easy": [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]],
    "hard": [[1, 1, 1, 0], [0, 1, 1, 1], [0, 1, 0, 1], [0, 1, 1, 0]],
    "impossible": [[1, 0, 1, 0], [0, 1, 0, 1], [1, 1, 0, 0], [0, 0, 1, 1]],
}
#: The same targets for every task: events 0, 1 -> left unit, events 2, 3 -> right unit.
TARGETS = [[1, 0], [1, 0], [0, 1], [0, 1]]

INPUT_SHAPE = (1, 4)
HIDDEN_SHAPE = (1, 4)
OUTPUT_SHAPE = (1, 2)


def task_patterns(task: str) -> Patterns:
    """The four events of ``task`` ("easy", "hard" or "impossible")."""
    if task not in TASKS:
        raise SpecError(f"pattern associator: task={task!r} is not one of {', '.join(TASKS)}."
                        + did_you_mean(str(task), TASKS))
    inputs = np.array(TASKS[task], np.float32).reshape(4, *INPUT_SHAPE)
    targets = np.array(TARGETS, np.float32).reshape(4, *OUTPUT_SHAPE)
    return Patterns({"Input": inputs, "Output": targets}, names=[f"Event_{i}" for i in range(4)])


def pat_assoc_network(hidden: bool) -> Network:
    # named as the projects: the network name names emergent's files and cluster jobs
    net = Network("OReillyMunakataFrankEtAl2012_2" if hidden else "OReillyMunakataFrankEtAl2012_1")
    net.layer("Input", INPUT_SHAPE, kind="input")
    if hidden:
        net.layer("Hidden", HIDDEN_SHAPE)
    net.layer("Output", OUTPUT_SHAPE, kind="target")
    if hidden:
        net.connect("Input", "Hidden", Full())
        net.connect("Hidden", "Output", Full())
        net.connect("Output", "Hidden", Full(), cls="TopDown")
    else:
        net.connect("Input", "Output", Full())
    return net


def pat_assoc_params(hidden: bool) -> Sheet:
    """The values err_driven_hidden.proj stores where they differ from the 8.6 code defaults."""
    return Sheet([
        Sel("Layer", {"lay_inhib.gi": 1.3, "avg_act.targ_init": 0.5, "g_bar.l": 0.1,
                      "act_avg.ss_tau": 2.0},
            doc="err_driven_hidden.proj layer and unit specs: half the units of each layer are "
                "expected active, weaker inhibition than the 1.8 default"),
        Sel("Prjn", {"wt_bal.on": False},
            doc="no weight balance, as err_driven_hidden.proj. Learning stays XCAL_CHL at the 8.6 "
                "defaults (error-driven plus the BCM-like avg_l term, momentum, dwt_norm): with "
                "pure error-driven XCAL as the 8.0 project (xcal.set_l_lrn on, l_lrn 0) the "
                "hidden network solved the impossible task for 5 of seeds 0-9 in 100 epochs, "
                "with the default mix for 10 of 10"),
    ] + ([Sel(".TopDown", {"wt_scale.rel": 0.3},
              doc="err_driven_hidden.proj's TopDown con spec: output feedback is weaker than input")]
         if hidden else []), name="PatAssoc")


def build(task: str = "easy", hidden: bool = False, epochs: int = 100, seed: int = 0):
    """(network, params, patterns, plan) for one task, with or without the hidden layer;
    stops once cnt_err = 0 for 2 epochs in a row."""
    plan = RunPlan(epochs=epochs, stop_cnt_err=0, stop_n_under=2, order="permuted", seed=seed)
    return pat_assoc_network(hidden), pat_assoc_params(hidden), task_patterns(task), plan
