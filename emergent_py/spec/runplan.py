"""The run plan: how many epochs, when to stop, trial order, weight-update mode, seed."""
from __future__ import annotations

from dataclasses import asdict, dataclass

from ..errors import SpecError, did_you_mean

ORDERS = ("sequential", "permuted", "random")
WT_UPDATES = ("on_line", "batch", "small_batch")


def _int(name: str, value, lo: int, allow_none: bool = False):
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < lo:
        raise SpecError(f"RunPlan: {name}={value!r} must be an int >= {lo}"
                        + (" or None" if allow_none else ""))
    return value


def _choice(name: str, value, choices) -> str:
    v = value.lower() if isinstance(value, str) else value
    if v not in choices:
        raise SpecError(f"RunPlan: {name}={value!r} is not one of {', '.join(choices)}."
                        + (did_you_mean(v, choices) if isinstance(v, str) else ""))
    return v


@dataclass(frozen=True)
class RunPlan:
    """Training schedule, as emergent's LeabraTrain / LeabraEpoch programs run it.

    Parameters
    ----------
    epochs : maximum number of epochs (LeabraTrain ``max_epoch``)
    stop_cnt_err : stop when the epoch's cnt_err <= this (``err_stopcrit``) for
        ``stop_n_under`` epochs in a row; None never stops early
    stop_n_under : epochs in a row under the criterion (``n_under_thr``, emergent's default 2)
    order : trial order in each epoch: sequential, permuted (emergent's default) or random
        (drawn with replacement)
    wt_update : on_line (every trial), small_batch (every ``small_batch_n`` trials) or batch
        (once per epoch)
    small_batch_n : trials per small-batch update
    seed : seeds initial weights and trial order
    """
    epochs: int = 50
    stop_cnt_err: int | None = 0
    stop_n_under: int = 2
    order: str = "permuted"
    wt_update: str = "on_line"
    small_batch_n: int = 10
    seed: int = 0

    def __post_init__(self) -> None:
        _int("epochs", self.epochs, 1)
        _int("stop_cnt_err", self.stop_cnt_err, 0, allow_none=True)
        _int("stop_n_under", self.stop_n_under, 1)
        _int("small_batch_n", self.small_batch_n, 1)
        _int("seed", self.seed, 0)
        object.__setattr__(self, "order", _choice("order", self.order, ORDERS))
        object.__setattr__(self, "wt_update", _choice("wt_update", self.wt_update, WT_UPDATES))

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "RunPlan":
        try:
            return cls(**data)
        except TypeError as e:
            raise SpecError(f"run plan: {e}") from e
