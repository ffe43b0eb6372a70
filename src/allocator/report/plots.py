"""Plots (matplotlib, an optional dependency: ``pip install 'allocator[plot]'``).

matplotlib is imported only when a plot is drawn, so the core installs and imports without it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from allocator.exceptions import AllocatorError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["plot_frame_curve"]


def _pyplot() -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise AllocatorError("plotting needs matplotlib; install it with pip install 'allocator[plot]'") from exc
    return plt


def plot_frame_curve(
    curve: pd.DataFrame,
    ax: Any = None,
    *,
    breakpoints: pd.DataFrame | None = None,
    currency: str = "NOK",
    title: str | None = "The value of the frame",
) -> Any:
    """Draw the optimal value against the frame, beside rank-and-fund.

    Parameters
    ----------
    curve
        :func:`allocator.analysis.frontier.frame_curve`'s result (``frame``, ``value`` and, when
        present, ``rank_and_fund`` and ``current``).
    ax
        A matplotlib Axes to draw on (default: a new figure).
    breakpoints
        :func:`allocator.analysis.frontier.frame_breakpoints`'s result: the optimum is then drawn as
        the exact step function, the grid values as points on it.
    currency, title
        Axis label unit and title.

    Returns
    -------
    matplotlib.axes.Axes
    """
    plt = _pyplot()
    for col in ("frame", "value"):
        if col not in curve.columns:
            raise AllocatorError(f"curve has no column {col!r}; pass frame_curve(problem)'s result")
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 4.5))
    scale = 1e6 if curve["frame"].max() >= 1e6 else 1e3
    unit = f"M {currency}" if scale == 1e6 else f"k {currency}"
    x = curve["frame"] / scale
    if breakpoints is not None and len(breakpoints):
        fx = list(breakpoints["frame"] / scale)
        fy = list(breakpoints["value"])
        end = max(float(x.max()), fx[-1])
        ax.step(
            [*fx, end],
            [*fy, fy[-1]],
            where="post",
            color="C0",
            label="optimal portfolio (exact)",
        )
        ax.plot(x, curve["value"], "o", color="C0", markersize=3)
    else:
        ax.plot(x, curve["value"], "-o", color="C0", markersize=3, label="optimal portfolio")
    if "rank_and_fund" in curve.columns:
        ax.plot(
            x,
            curve["rank_and_fund"],
            "--s",
            color="C1",
            markersize=3,
            label="rank and fund down the list",
        )
    if "current" in curve.columns and curve["current"].any():
        f0 = float(curve.loc[curve["current"], "frame"].iloc[0]) / scale
        ax.axvline(f0, color="grey", linestyle=":", label="this call's frame")
    ax.set_xlabel(f"frame ({unit})")
    ax.set_ylabel("total weighted score")
    if title:
        ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(loc="lower right")
    return ax
