#!/usr/bin/env python
"""Family trees (Hinton 1986): all 104 questions learned, for several seeds.

    python scripts/projects/family_trees.py [--seeds 5] [--jobs 2] [-o family_trees.png]
"""
from common import arguments, plot_curves, summary, train_seeds

args = arguments(__doc__, seeds=5, out="family_trees.png")
print("Hinton1986_1 (family trees), native core")
results = train_seeds("Hinton1986_1", args.seed_list, args.jobs, args.epochs)
print(summary("Hinton1986_1", results))
plot_curves({"Hinton1986_1": results}, args.out, "Family trees: errors per epoch (104 questions)")
