#!/usr/bin/env python
"""RandomAssoc: 25 random 5x5 -> 5x5 associations learned to zero errors, for several seeds.

    python scripts/projects/random_assoc.py [--seeds 10] [--jobs 2] [-o random_assoc.png]
"""
from common import arguments, plot_curves, summary, train_seeds

args = arguments(__doc__, seeds=10, out="random_assoc.png")
print("RandomAssoc (LeabraStd-style random associator), native core")
results = train_seeds("RandomAssoc", args.seed_list, args.jobs, args.epochs)
print(summary("RandomAssoc", results))
plot_curves({"RandomAssoc": results}, args.out, "25 random associations: errors per epoch")
