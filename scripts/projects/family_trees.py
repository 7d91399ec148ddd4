#!/usr/bin/env python
"""Family trees (Hinton 1986): all 104 questions learned, for several seeds.

    python scripts/projects/family_trees.py [--seeds 5] [--jobs 2] [-o family_trees.png]
"""
from common import reproduce

reproduce("Hinton1986_1", "family trees, 104 questions", __doc__, seeds=5, out="family_trees.png")
