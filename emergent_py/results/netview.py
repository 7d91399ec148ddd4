"""Network pictures like emergent's NetView (matplotlib: the ``plot`` extra).

* :func:`activation_grid`: every layer's units in the layer's geometry for one trial, minus
  phase (``act_m``: the network's own answer) beside plus phase (``act_p``: with the target);
  from a live network after a trial (:func:`activations_from_network`) or from a run file's
  trial log recorded with ``--record trial:LAYER`` (:func:`activations_from_run`).
* :func:`receptive_fields`: one tile per receiving unit (tiles in the receiver's geometry), each
  the unit's weights from a sending layer in the sender's geometry; from a run file's weight
  snapshot (:func:`weights_from_run`, final or "after epoch N") or a live network
  (:func:`weights_from_network`).

A 4-D layer (unit groups ``(GY, GX, UY, UX)``) is drawn as its groups side by side with a
one-unit gap, as emergent draws it. The first axis of a shape is drawn top to bottom.
"""
from __future__ import annotations

import os
from typing import Mapping

import numpy as np

from ..errors import EmergentPyError
from .plot import _pyplot, save_figure

PHASES = (("act_m", "minus phase (act_m)\nthe network's own answer"),
          ("act_p", "plus phase (act_p)\nwith the target clamped"))


def layer_image(values: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """A layer's values as a 2-D image: ``(Y, X)`` as is; ``(GY, GX, UY, UX)`` as GY x GX unit
    groups of UY x UX with NaN gaps of one unit between them."""
    v = np.asarray(values, dtype=float).reshape(shape)
    if len(shape) == 2:
        return v
    if len(shape) != 4:
        raise EmergentPyError(f"layer shape {shape}: expected 2-D (Y, X) or 4-D (GY, GX, UY, UX)")
    gy, gx, uy, ux = shape
    img = np.full((gy * (uy + 1) - 1, gx * (ux + 1) - 1), np.nan)
    for i in range(gy):
        for j in range(gx):
            img[i * (uy + 1): i * (uy + 1) + uy, j * (ux + 1): j * (ux + 1) + ux] = v[i, j]
    return img


def _shape_text(shape) -> str:
    return " x ".join(map(str, shape))


def activations_from_network(net) -> dict[str, dict[str, np.ndarray]]:
    """``{layer: {"act_m": ..., "act_p": ...}}`` of a live :class:`~emergent_py.leabra.Network`
    after a trial, in each layer's geometry."""
    return {name: {var: l.get(var) for var, _ in PHASES} for name, l in net.layers.items()}


def activations_from_run(run, epoch: int | None = None, trial: int | str = 0):
    """``({layer: {"act_m", "act_p"}}, trial name, epoch, trial position)`` from a run file's
    trial log: the row of ``trial`` (position, or a trial name) in ``epoch`` (default: the last
    logged epoch). Layers come from the model, values from the ``<Layer>_act_m`` /
    ``<Layer>_act_p`` columns (``emergent-py run --record trial:Input,Hidden,Output``); a layer
    without them is an error naming the option."""
    from .runreader import RunFile
    rf = run if isinstance(run, RunFile) else RunFile(run)
    try:
        model = rf.model
        if model is None:
            raise EmergentPyError(f"{rf.path}: no model stored (layer shapes unknown)")
        t = rf.trials
        if not len(t):
            raise EmergentPyError(f"{rf.path}: no trial rows (run with --record trial:LAYER,...)")
        epochs = t["epoch"]
        epoch = int(epochs.max()) if epoch is None else int(epoch)
        rows = np.flatnonzero(epochs == epoch)
        if not rows.size:
            raise EmergentPyError(f"{rf.path}: no trial rows in epoch {epoch} (have {int(epochs.min())}..{int(epochs.max())})")
        if isinstance(trial, str) and not trial.lstrip("-").isdigit():
            names = t["trial_name"][rows]
            hit = rows[names == trial]
            if not hit.size:
                raise EmergentPyError(f"{rf.path}: no trial named {trial!r} in epoch {epoch}")
            row = int(hit[0])
        else:
            k = int(trial)
            if not 0 <= k < rows.size:
                raise EmergentPyError(f"{rf.path}: trial {k} out of range (epoch {epoch} has {rows.size})")
            row = int(rows[k])
        acts, missing = {}, []
        for name, layer in model.network.layers.items():
            cols = {var: f"{name}_{var}" for var, _ in PHASES}
            if not all(c in t for c in cols.values()):
                missing.append(name)
                continue
            acts[name] = {var: np.asarray(t[c][row]).reshape(layer.shape) for var, c in cols.items()}
        if missing:
            raise EmergentPyError(f"{rf.path}: the trial log has no act_m/act_p of layer(s) {', '.join(missing)}; "
                                  f"record them with: emergent-py run ... --record trial:{','.join(model.network.layers)}")
        name = str(t["trial_name"][row]) if "trial_name" in t else str(row)
        return acts, name, epoch, int(t["trial"][row]) if "trial" in t else row
    finally:
        if rf is not run:
            rf.close()


def activation_grid(acts: Mapping[str, Mapping[str, np.ndarray]], out: str | os.PathLike,
                    title: str = "activations", dpi: int = 120) -> str:
    """Draw ``acts`` (``{layer: {"act_m": array in layer shape, "act_p": ...}}``, layers in
    network order; drawn last layer on top, as emergent stacks them) into ``out``."""
    plt = _pyplot()
    layers = list(acts)[::-1]
    if not layers:
        raise EmergentPyError("no layers to draw")
    imgs = {n: {v: layer_image(a[v], np.shape(a[v])) for v, _ in PHASES} for n, a in acts.items()}
    heights = [imgs[n]["act_m"].shape[0] for n in layers]
    fig, axes = plt.subplots(len(layers), 2, squeeze=False, height_ratios=heights,
                             figsize=(7.2, min(2.0 + 0.28 * sum(heights), 12)))
    cmap = plt.get_cmap("viridis").with_extremes(bad="white")      # NaN: gaps between unit groups
    im = None
    for r, name in enumerate(layers):
        for c, (var, label) in enumerate(PHASES):
            ax = axes[r][c]
            im = ax.imshow(imgs[name][var], cmap=cmap, vmin=0, vmax=1, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if c == 0:
                ax.set_ylabel(f"{name}\n{_shape_text(np.shape(acts[name][var]))}", rotation=0, ha="right",
                              va="center", fontsize=9)
            if r == 0:
                ax.set_title(label, fontsize=9)
    fig.colorbar(im, ax=axes.ravel().tolist(), shrink=0.6, label="activation (rate, 0 to 1)")
    fig.suptitle(title)
    return save_figure(fig, out, dpi)


def weights_from_run(run, projection: str, epoch: int | None = None):
    """``(weights (n_recv, n_send), recv shape, send shape, epoch)`` of a projection in a run
    file's snapshot at ``epoch`` (default: the last; snapshots are "after epoch N")."""
    from .runreader import RunFile
    rf = run if isinstance(run, RunFile) else RunFile(run)
    try:
        model = rf.model
        if model is None:
            raise EmergentPyError(f"{rf.path}: no model stored (layer shapes unknown)")
        epoch = rf.snapshot_epoch(epoch)
        w = rf.weights(epoch)
        if projection not in w:
            raise EmergentPyError(f"{rf.path}: no projection {projection!r}; have {', '.join(w)}")
        p = model.network.projections[projection]
        layers = model.network.layers
        return w[projection], layers[p.recv].shape, layers[p.send].shape, epoch
    finally:
        if rf is not run:
            rf.close()


def weights_from_network(net, projection: str):
    """``(weights (n_recv, n_send), recv shape, send shape)`` of a live network's projection."""
    if projection not in net.projections:
        raise EmergentPyError(f"no projection {projection!r}; have {', '.join(net.projections)}")
    p = net.projections[projection]
    return p.var("wt"), p.recv.shape, p.send.shape


def receptive_fields(weights: np.ndarray, recv_shape, send_shape, out: str | os.PathLike,
                     title: str = "receptive fields", recv_name: str = "receiving",
                     send_name: str = "sending", dpi: int = 120) -> str:
    """One tile per receiving unit, laid out in the receiver's geometry, showing its weights
    from the sender in the sender's geometry; tiles separated by a white line."""
    plt = _pyplot()
    w = np.asarray(weights, dtype=float)
    n_recv, n_send = int(np.prod(recv_shape)), int(np.prod(send_shape))
    if w.shape != (n_recv, n_send):
        raise EmergentPyError(f"weights of shape {w.shape}; expected (n_recv, n_send) = {(n_recv, n_send)}")
    tiles = [layer_image(w[i], tuple(send_shape)) for i in range(n_recv)]
    th, tw = tiles[0].shape
    grid = layer_image(np.arange(n_recv), tuple(recv_shape))       # where each receiving unit sits
    gh, gw = grid.shape
    img = np.full((gh * (th + 1) - 1, gw * (tw + 1) - 1), np.nan)
    for y in range(gh):
        for x in range(gw):
            if not np.isnan(grid[y, x]):
                img[y * (th + 1): y * (th + 1) + th, x * (tw + 1): x * (tw + 1) + tw] = tiles[int(grid[y, x])]
    cmap = plt.get_cmap("viridis").with_extremes(bad="white")      # NaN: gaps between unit groups
    fig, ax = plt.subplots(figsize=(7, 7 * img.shape[0] / img.shape[1] + 0.8))
    lo, hi = (0.0, 1.0) if w.min() >= 0 and w.max() <= 1 else (float(w.min()), float(w.max()))
    im = ax.imshow(img, cmap=cmap, vmin=lo, vmax=hi, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel(f"{recv_name} units ({_shape_text(recv_shape)} tiles); each tile: weights from "
                  f"{send_name} ({_shape_text(send_shape)} units)", fontsize=9)
    fig.colorbar(im, ax=ax, shrink=0.7, label="weight" + (" (0 to 1)" if (lo, hi) == (0.0, 1.0) else ""))
    ax.set_title(title, fontsize=11)
    fig.tight_layout()
    return save_figure(fig, out, dpi)
