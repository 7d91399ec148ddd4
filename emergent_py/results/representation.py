"""Representational analysis as the textbook simulations do it: a layer's activity for each
input pattern -> a cluster plot (dendrogram), a similarity matrix and a PCA, with pattern names.

* :func:`network_from_run`: the trained network of a run file (its last checkpoint: the full
  state, exactly as training left it; or a weight snapshot, with the rest of the state initial).
* :func:`layer_responses`: present every pattern to a network and keep one layer's variable
  (default ``act_m``, the minus phase: the network's own response, no target clamped). The
  network's state is restored before each pattern and at the end, so no pattern sees another's
  traces and nothing is learned.
* :func:`group_means`: average the responses of patterns that share a key (e.g. the agent of a
  family-trees question), as Hinton's analysis averages over a person's questions.
* :func:`cluster` (average linkage on Euclidean distances), :func:`pca`, :func:`similarity`
  (cosine), and :func:`representation_figure` drawing all three.

The clustering is written here in numpy (a few lines for at most a few hundred patterns) so that
scipy is not a dependency; it is agglomerative average linkage (UPGMA), scipy's ``"average"``.
"""
from __future__ import annotations

import os
from typing import Callable, Sequence

import numpy as np

from ..errors import EmergentPyError
from .plot import _pyplot, save_figure


def network_from_run(run, epoch: int | None = None):
    """``(network, where)``: the run's model on the native core, with the state of the run
    file's last checkpoint (``epoch`` None) or the weights of the snapshot after ``epoch``
    (layer averages and other state then start from their initial values; ``where`` says which)."""
    from ..leabra.network import Network
    from ..leabra.run import Run
    from .runreader import RunFile
    rf = run if isinstance(run, RunFile) else RunFile(run)
    try:
        model = rf.model
        if model is None:
            raise EmergentPyError(f"{rf.path}: no model stored in the run file")
        ck = rf.checkpoint() if epoch is None else None
        if ck is not None:
            r = Run(model)
            r.from_checkpoint(ck)
            return r.net, f"the state of the last checkpoint (after epoch {r.epoch_n})"
        epoch = rf.snapshot_epoch(epoch, none="neither a checkpoint nor weight snapshots")
        weights = dict(rf.weights(epoch))
        weights.update({f"{k}.bias": v for k, v in rf.biases(epoch).items()})
        return Network(model, weights=weights), f"the weights after epoch {epoch} (other state initial)"
    finally:
        if rf is not run:
            rf.close()


def layer_responses(net, layer: str, var: str = "act_m", patterns: Sequence[int] | None = None):
    """``(names, responses (n_patterns, n_units))``: ``var`` of ``layer`` after a trial of each
    pattern (all by default), from the same network state each time (restored after)."""
    if layer not in net.layers:
        raise EmergentPyError(f"no layer {layer!r}; have {', '.join(net.layers)}")
    pats = net.model.patterns
    idx = list(range(pats.n)) if patterns is None else list(patterns)
    state = net.state_dict()
    rows = []
    try:
        for i in idx:
            net.load_state_dict(state)
            net.trial(i)
            rows.append(np.array(getattr(net.layers[layer], var), dtype=float).reshape(-1))
    finally:
        net.load_state_dict(state)
    return [pats.names[i] for i in idx], np.array(rows)


def group_means(names: Sequence[str], x: np.ndarray, key: Callable[[str], str]):
    """``(groups in first-seen order, mean response per group)``."""
    groups = list(dict.fromkeys(key(n) for n in names))
    keys = np.array([key(n) for n in names])
    return groups, np.array([x[keys == g].mean(axis=0) for g in groups])


def cluster(x: np.ndarray) -> np.ndarray:
    """Average-linkage agglomerative clustering of the rows of ``x`` (Euclidean distance):
    ``(n - 1, 4)`` merges ``[a, b, distance, size]`` in scipy's linkage format (cluster ``n + k``
    is the one made by merge ``k``)."""
    x = np.asarray(x, dtype=float)
    n = len(x)
    if n < 2:
        raise EmergentPyError("clustering needs at least 2 patterns")
    d = np.sqrt(np.maximum(((x[:, None, :] - x[None, :, :]) ** 2).sum(-1), 0.0))
    size = {i: 1 for i in range(n)}
    dist = {(i, j): d[i, j] for i in range(n) for j in range(i + 1, n)}
    active = set(range(n))
    merges = []
    for k in range(n - 1):
        (a, b), dab = min(dist.items(), key=lambda kv: (kv[1], kv[0]))
        new = n + k
        for c in active - {a, b}:
            dac = dist.pop((min(a, c), max(a, c)))
            dbc = dist.pop((min(b, c), max(b, c)))
            dist[(c, new)] = (size[a] * dac + size[b] * dbc) / (size[a] + size[b])
        del dist[(a, b)]
        active -= {a, b}
        active.add(new)
        size[new] = size[a] + size[b]
        merges.append([a, b, dab, size[new]])
    return np.array(merges, dtype=float)


def leaf_order(merges: np.ndarray) -> list[int]:
    """The leaves of a :func:`cluster` result in dendrogram order (left to right)."""
    n = len(merges) + 1

    def leaves(c: int) -> list[int]:
        if c < n:
            return [c]
        a, b = merges[c - n][:2]
        return leaves(int(a)) + leaves(int(b))
    return leaves(2 * n - 2)


def pca(x: np.ndarray, k: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """``(scores (n, k), fraction of variance of each component)`` of the centred rows."""
    xc = np.asarray(x, dtype=float) - np.mean(x, axis=0)
    u, s, _ = np.linalg.svd(xc, full_matrices=False)
    var = s ** 2
    total = var.sum()
    return u[:, :k] * s[:k], (var[:k] / total if total > 0 else np.zeros(min(k, len(var))))


def similarity(x: np.ndarray) -> np.ndarray:
    """Cosine similarity of every pair of rows (0 where a row is all zero)."""
    x = np.asarray(x, dtype=float)
    norm = np.linalg.norm(x, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        s = (x @ x.T) / np.outer(norm, norm)
    return np.nan_to_num(s)


def _draw_dendrogram(ax, merges: np.ndarray, names: Sequence[str], colors: Sequence[str] | None):
    n = len(names)
    order = leaf_order(merges)
    ypos = {leaf: i for i, leaf in enumerate(order)}
    height = {leaf: 0.0 for leaf in range(n)}
    for k, (a, b, dab, _) in enumerate(merges):
        a, b = int(a), int(b)
        for c in (a, b):
            ax.plot([height[c], dab], [ypos[c], ypos[c]], "-", color="0.25", lw=1)
        ax.plot([dab, dab], [ypos[a], ypos[b]], "-", color="0.25", lw=1)
        ypos[n + k], height[n + k] = (ypos[a] + ypos[b]) / 2, dab
    ax.set_yticks(range(n), [names[i] for i in order], fontsize=7 if n <= 40 else 5)
    if colors is not None:
        for tick, i in zip(ax.get_yticklabels(), order):
            tick.set_color(colors[i])
    ax.set_ylim(-0.7, n - 0.3)
    ax.invert_yaxis()
    ax.set_xlabel("mean Euclidean distance between the clusters' patterns (average linkage)")
    return order


def representation_figure(names: Sequence[str], x: np.ndarray, out: str | os.PathLike,
                          title: str, colors: Sequence[str] | None = None,
                          legend: dict[str, str] | None = None, dpi: int = 120) -> str:
    """Dendrogram, cosine-similarity matrix (rows in dendrogram order) and the first two
    principal components of the rows of ``x`` (one per name), in one figure. ``colors`` colours
    the names (e.g. by family), ``legend`` maps a colour to what it means."""
    plt = _pyplot()
    x = np.asarray(x, dtype=float)
    if len(names) != len(x):
        raise EmergentPyError(f"{len(names)} names for {len(x)} patterns")
    merges = cluster(x)
    fig, axes = plt.subplots(1, 3, figsize=(16, max(5.5, 0.17 * len(names) + 1.5)),
                             width_ratios=(1.1, 1.2, 1.2))
    order = _draw_dendrogram(axes[0], merges, names, colors)
    axes[0].set_title("cluster plot", fontsize=10)
    sim = similarity(x)[np.ix_(order, order)]
    im = axes[1].imshow(sim, cmap="magma", vmin=0, vmax=1, interpolation="nearest")
    axes[1].set_xticks(range(len(order)), [names[i] for i in order], rotation=90, fontsize=6)
    axes[1].set_yticks(range(len(order)), [names[i] for i in order], fontsize=6)
    if colors is not None:
        for ticks in (axes[1].get_xticklabels(), axes[1].get_yticklabels()):
            for tick, i in zip(ticks, order):
                tick.set_color(colors[i])
    fig.colorbar(im, ax=axes[1], shrink=0.7, label="cosine similarity of the activity patterns")
    axes[1].set_title("similarity (dendrogram order)", fontsize=10)
    scores, frac = pca(x)
    if scores.shape[1] < 2:
        scores = np.column_stack([scores, np.zeros(len(scores))])
        frac = np.append(frac, 0.0)
    axes[2].scatter(scores[:, 0], scores[:, 1], s=14, c=colors if colors is not None else "C0")
    for (px, py), name, i in zip(scores, names, range(len(names))):
        axes[2].annotate(name, (px, py), fontsize=6, xytext=(2, 2), textcoords="offset points",
                         color=colors[i] if colors is not None else "black")
    axes[2].set_xlabel(f"principal component 1 ({100 * frac[0]:.0f}% of variance)")
    axes[2].set_ylabel(f"principal component 2 ({100 * frac[1]:.0f}% of variance)")
    axes[2].set_title("PCA", fontsize=10)
    axes[2].grid(True, alpha=0.3)
    if legend:
        for color, text in legend.items():
            axes[2].scatter([], [], s=14, c=color, label=text)
        axes[2].legend(fontsize=8, loc="best")
    fig.suptitle(title)
    fig.tight_layout()
    return save_figure(fig, out, dpi)
