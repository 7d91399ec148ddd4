#!/usr/bin/env python
"""Pattern associator (CCN ch. 4): easy, hard and impossible tasks without a hidden layer
(OReillyMunakataFrankEtAl2012_1), and the impossible task with one (..._2).

    python scripts/projects/pat_assoc.py [--seeds 10] [--jobs 2] [-o pat_assoc.png]
"""
from common import arguments, plot_curves, summary, train_seeds

args = arguments(__doc__, seeds=10, out="pat_assoc.png")
panels = {}
for task, hidden in (("easy", False), ("hard", False), ("impossible", False), ("impossible", True)):
    label = f"{task}, {'with' if hidden else 'no'} hidden layer"
    print(label)
    results = train_seeds("OReillyMunakataFrankEtAl2012_1", args.seed_list, args.jobs,
                          args.epochs, task=task, hidden=hidden)
    print(summary(label, results))
    panels[label] = results
plot_curves(panels, args.out, "Pattern associator: errors per epoch (4 events)")
