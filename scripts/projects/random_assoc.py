#!/usr/bin/env python
"""RandomAssoc: 25 random 5x5 -> 5x5 associations learned to zero errors, for several seeds.

    python scripts/projects/random_assoc.py [--seeds 10] [--jobs 2] [-o random_assoc.png]
"""
from common import reproduce

reproduce("RandomAssoc", "25 random associations", __doc__, seeds=10, out="random_assoc.png")
