"""The grants an application can receive under the call's options.

All-or-nothing funding: 0 or the request. Partial funding: 0, or the application's minimum
plus whole steps (``Options.step``) up to the request, and the request itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from math import ceil

from allocator.model.parts import Application, Options

__all__ = ["Levels", "levels"]


@dataclass(frozen=True)
class Levels:
    """The grants an application can receive: 0, or minimum + k * step (k <= K), or the request."""

    minimum: int
    step: int
    K: int
    rest: int
    requested: int

    def amounts(self) -> list[int]:
        """Every possible grant above 0, ascending."""
        out = [self.minimum + self.step * k for k in range(self.K + 1)]
        if self.rest:
            out.append(self.requested)
        return out


def levels(app: Application, options: Options) -> Levels:
    """The grant levels of ``app`` under the problem's options."""
    opts = options
    r = app.requested
    if not opts.partial:
        return Levels(r, opts.step, 0, 0, r)
    if app.minimum is not None:
        m = app.minimum
    elif opts.min_share is not None:
        m = max(1, ceil(Fraction(str(opts.min_share)) * r))
    else:
        m = min(opts.step, r)
    span = r - m
    K = span // opts.step
    return Levels(m, opts.step, K, span - K * opts.step, r)
