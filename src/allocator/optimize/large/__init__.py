"""Large calls (thousands of applications): Lagrangian bounds and reduced-value fixing.

:mod:`~allocator.optimize.large.lagrange` splits a binary model into small enumerated
components and wide relaxed rows, and gives a near-optimal portfolio with a valid bound;
:mod:`~allocator.optimize.large.proof` turns the bound into a proof of optimality by fixing
the decisions no better portfolio can change and letting the MIP settle the few left.
"""

from allocator.optimize.large.lagrange import LARGE_COLS, LagrangeResult
from allocator.optimize.large.portfolio import near_optimal
from allocator.optimize.large.proof import EXACT_COLS, exact_optimum

__all__ = ["EXACT_COLS", "LARGE_COLS", "LagrangeResult", "exact_optimum", "near_optimal"]
