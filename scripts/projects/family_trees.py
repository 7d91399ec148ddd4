#!/usr/bin/env python
"""Family trees (Hinton 1986): all 104 questions learned, for several seeds; then the AgentCode
representations of the first seed's trained network.

    python scripts/projects/family_trees.py [--seeds 5] [--jobs 2] [-o family_trees.png]

The representation analysis presents every question once more (no weight change), averages each
person's AgentCode minus-phase activity over their questions, and compares people by cosine
similarity: Hinton's networks gave isomorphic people (same place in the two trees) similar
codes, and separated the nationalities.
"""
import numpy as np

from common import arguments, load_project, plot_curves, summary, train_seeds


def agent_codes(seed: int, epochs: int | None = None) -> None:
    from emergent_py import Model
    from emergent_py.leabra import Run
    ft = load_project("Hinton1986_1")
    model = Model(*ft.build())
    run = Run(model, seed=seed, record="epoch")
    log = run.run(epochs)
    print(f"seed {seed}: {'stopped' if run.stopped else 'limit'} after {len(log.epochs)} epochs")
    agent = model.pattern_rows("Agent")
    codes = np.zeros((len(ft.PEOPLE), model.network.layers["AgentCode"].n_units))
    counts = np.zeros(len(ft.PEOPLE))
    for i in range(model.patterns.n):            # no compute_weights: the weights stay as trained
        run.net.trial(i)
        who = int(np.flatnonzero(agent[i])[0])
        codes[who] += run.net.layers["AgentCode"].act_m.ravel()
        counts[who] += 1
    codes /= counts[:, None]
    unit = codes / np.linalg.norm(codes, axis=1, keepdims=True)
    sim = unit @ unit.T
    n = len(ft.ENGLISH.people)
    cross = sim[:n, n:]                          # English x Italian
    iso = np.diag(cross)
    other = cross[~np.eye(n, dtype=bool)]
    within = np.concatenate([sim[:n, :n][~np.eye(n, dtype=bool)], sim[n:, n:][~np.eye(n, dtype=bool)]])
    print(f"AgentCode cosine similarity: isomorphic pairs {iso.mean():.3f} (min {iso.min():.3f}), "
          f"other English-Italian pairs {other.mean():.3f}, same-family pairs {within.mean():.3f}")
    rank = [(cross[i] > cross[i, i]).sum() for i in range(n)]
    print("rank of each English person's Italian counterpart among the 12 Italians (0 = most similar):",
          " ".join(map(str, rank)))


if __name__ == "__main__":
    args = arguments(__doc__, seeds=5, out="family_trees.png")
    print("Hinton1986_1 (family trees, 104 questions), native core")
    results = train_seeds("Hinton1986_1", args.seed_list, args.jobs, args.epochs)
    print(summary("Hinton1986_1", results))
    plot_curves({"Hinton1986_1": results}, args.out, "Family trees, 104 questions: errors per epoch")
    agent_codes(args.seed_list[0], args.epochs)
